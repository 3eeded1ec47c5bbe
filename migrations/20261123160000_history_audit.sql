-- Order history search, expiry reporting, and an append-only audit log.

create extension if not exists pg_trgm;

-- Common name and additional names in one lower-case text, for substring search (trigram index).
alter table requests add column names_text text not null default '';
update requests set names_text = lower(title || ' ' || array_to_string(dns_names, ' '));
create index requests_names_trgm on requests using gin (names_text gin_trgm_ops);

-- History: newest first by default, and the filters admins use most.
create index requests_submitted on requests (submitted_at desc, id desc);
create index requests_status_submitted on requests (status, submitted_at desc, id desc);
create index requests_product_submitted on requests (product, submitted_at desc, id desc);
create index requests_org_submitted on requests (organization_id, submitted_at desc, id desc);
create index requests_decider_submitted on requests (decided_by, submitted_at desc, id desc);
-- "What expires next".
create index requests_expiry on requests (expires_at) where status = 'issued';

-- The audit log only grows: no role of the application may change or remove a row.
create function audit_events_append_only() returns trigger
language plpgsql as $$
begin
    raise exception 'the audit log is append-only' using errcode = 'insufficient_privilege';
end
$$;
create trigger audit_events_append_only before update or delete or truncate on audit_events
    for each statement execute function audit_events_append_only();
create index audit_events_action_at on audit_events (action, at desc);
