-- An order (one DigiCert order id, one request) holds certificates over time: the first, each
-- reissue and each duplicate, each with its own serial, names, validity, status and downloads.

alter table requests add column order_valid_till date;

create table certificates (
    id bigint generated always as identity primary key,
    request_id bigint not null references requests (id),
    kind text not null check (kind in ('first', 'reissue', 'duplicate')),
    digicert_certificate_id bigint,
    -- Upper-case hexadecimal without separators, as DigiCert's serial_number.
    serial_number text not null check (serial_number ~ '^[0-9A-F]+$'),
    common_name text not null,
    dns_names text[] not null default '{}',
    not_before timestamptz not null,
    not_after timestamptz not null check (not_after > not_before),
    status text not null default 'issued'
        check (status in ('issued', 'superseded', 'revoked', 'expired')),
    leaf_pem text not null,
    chain_pem text not null,
    issued_at timestamptz not null default now(),
    revoked_at timestamptz,
    revocation_reason text,
    constraint certificates_revocation_recorded check ((status = 'revoked') = (revoked_at is not null))
);
create unique index certificates_serial on certificates (serial_number);
create index certificates_request on certificates (request_id, id);
-- An order has at most one current certificate (duplicates live beside it): two current
-- certificates for one reissue cannot be written.
create unique index certificates_one_current on certificates (request_id)
    where status = 'issued' and kind <> 'duplicate';

-- Certificate states, whatever code writes the row.
create function certificate_transition_allowed(old_status text, new_status text) returns boolean
language sql immutable as $$
    select (old_status, new_status) in (
        ('issued', 'superseded'), ('issued', 'revoked'), ('issued', 'expired'),
        ('superseded', 'revoked'), ('superseded', 'expired')
    )
$$;

create function certificates_check() returns trigger
language plpgsql as $$
declare
    term date;
begin
    if tg_op = 'UPDATE' and new.status is distinct from old.status
       and not certificate_transition_allowed(old.status, new.status) then
        raise exception 'certificate % cannot go from % to %', old.id, old.status, new.status
            using errcode = 'check_violation';
    end if;
    if tg_op = 'INSERT' and new.kind in ('reissue', 'duplicate') then
        select order_valid_till into term from requests where id = new.request_id;
        if term is null or term < current_date then
            raise exception 'order % has ended; it cannot be reissued or duplicated', new.request_id
                using errcode = 'check_violation';
        end if;
    end if;
    return new;
end
$$;

create trigger certificates_check before insert or update on certificates
    for each row execute function certificates_check();
