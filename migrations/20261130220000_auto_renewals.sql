-- Orders DigiCert renews itself (`auto_renew`) arrive through the status-changes feed as orders
-- certdesk did not place. Each becomes a request of its own, attached to the order it renews and
-- followed like a forwarded order; nobody approved it in certdesk, so it starts `forwarded`.

alter table requests add column origin text not null default 'portal'
    check (origin in ('portal', 'auto_renewal'));

-- One request per successor order, however many workers read the feed.
create unique index requests_auto_renewal_order on requests (digicert_order_id)
    where origin = 'auto_renewal';

alter table requests drop constraint requests_decision_recorded;
alter table requests add constraint requests_decision_recorded check (
    status in ('pending_approval', 'cancelled') or decided_by is not null or origin = 'auto_renewal'
);
alter table requests add constraint requests_auto_renewal_follows check (
    origin = 'portal' or (renewal_of_request_id is not null and digicert_order_id is not null)
);

create or replace function requests_new_status() returns trigger
language plpgsql as $$
begin
    if new.status <> 'pending_approval'
       and not (new.origin = 'auto_renewal' and new.status = 'forwarded') then
        raise exception 'a new request starts pending approval' using errcode = 'check_violation';
    end if;
    return new;
end
$$;
