-- Changes to an issued order's certificates: a reissue (new key or names, replaces the current
-- certificate), a duplicate (same names and end, another key) and a revocation. Each is asked for,
-- decided (by an approver, or by a standing policy), sent to DigiCert exactly once through
-- `change_jobs`, and followed until DigiCert is done with it.

create table certificate_changes (
    id bigint generated always as identity primary key,
    request_id bigint not null references requests (id),
    kind text not null check (kind in ('reissue', 'duplicate', 'revoke')),
    status text not null default 'pending_approval'
        check (status in ('pending_approval', 'approved', 'sent', 'done', 'rejected', 'cancelled', 'failed')),
    requested_by uuid not null references users (id),
    requested_at timestamptz not null default now(),
    -- Reissue and duplicate: the new CSR and the names the certificate will carry.
    csr_pem text,
    common_name text,
    dns_names text[],
    -- What the change was weighed against: the current certificate's names and whether the new
    -- CSR brings another key.
    previous_names text[],
    new_key boolean,
    -- The DigiCert certificate a reissue replaces: a retry recognises its own reissue by it.
    replaces_digicert_certificate_id bigint,
    -- Revoke: one certificate, or the whole order when null.
    certificate_id bigint references certificates (id),
    revocation_reason text check (revocation_reason in
        ('unspecified', 'key_compromise', 'affiliation_changed', 'superseded', 'cessation_of_operation')),
    comment text not null default '',
    decided_by uuid references users (id),
    decided_at timestamptz,
    decision_note text,
    -- Decided by a standing policy rather than a person.
    decided_by_policy text,
    digicert_certificate_id bigint,
    digicert_request_id bigint,
    result_certificate_id bigint references certificates (id),
    error text,
    finished_at timestamptz,
    constraint certificate_changes_no_self_decision
        check (decided_by is null or decided_by <> requested_by),
    constraint certificate_changes_decision_recorded check (
        status in ('pending_approval', 'cancelled')
        or decided_by is not null or decided_by_policy is not null
    ),
    constraint certificate_changes_fields check (
        case kind
            when 'revoke' then revocation_reason is not null and csr_pem is null
            else csr_pem is not null and common_name is not null and dns_names is not null
                 and revocation_reason is null and certificate_id is null
        end
    )
);
create index certificate_changes_request on certificate_changes (request_id, id);
create index certificate_changes_waiting on certificate_changes (requested_at)
    where status = 'pending_approval';
-- DigiCert keeps one reissue or duplicate of an order in progress at a time.
create unique index certificate_changes_one_open_new_certificate on certificate_changes (request_id)
    where kind in ('reissue', 'duplicate') and status in ('pending_approval', 'approved', 'sent');
-- One open revocation per target (the whole order counts as target 0).
create unique index certificate_changes_one_open_revocation
    on certificate_changes (request_id, coalesce(certificate_id, 0))
    where kind = 'revoke' and status in ('pending_approval', 'approved', 'sent');

create function certificate_change_transition_allowed(old_status text, new_status text) returns boolean
language sql immutable as $$
    select (old_status, new_status) in (
        ('pending_approval', 'approved'), ('pending_approval', 'rejected'),
        ('pending_approval', 'cancelled'),
        ('approved', 'sent'), ('approved', 'done'), ('approved', 'failed'),
        ('sent', 'done'), ('sent', 'failed')
    )
$$;

create function certificate_changes_check() returns trigger
language plpgsql as $$
begin
    if new.status is distinct from old.status
       and not certificate_change_transition_allowed(old.status, new.status) then
        raise exception 'certificate change % cannot go from % to %', old.id, old.status, new.status
            using errcode = 'check_violation';
    end if;
    return new;
end
$$;

create trigger certificate_changes_check before update on certificate_changes
    for each row execute function certificate_changes_check();

-- The outbox of changes to send: written in the transaction that approves the change. The same
-- lease protocol as `forward_jobs`: `posted` is set before a request leaves, so whoever runs the
-- job next looks at DigiCert before sending again.
create table change_jobs (
    change_id bigint primary key references certificate_changes (id),
    phase text not null default 'send' check (phase in ('send', 'track')),
    attempts integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    lease_owner text,
    lease_until timestamptz,
    posted boolean not null default false,
    last_error text,
    created_at timestamptz not null default now()
);
create index change_jobs_due on change_jobs (next_attempt_at);

-- Standing policies an admin turns on or off (each change audited):
-- `reissue_same_names:<product>` lets a reissue that keeps the current names (a new key) skip
-- human approval; `revoke_key_compromise_at_once` sends a keyCompromise revocation without one.
create table standing_policies (
    name text primary key
        check (name ~ '^(reissue_same_names:[a-z_]+|revoke_key_compromise_at_once)$'),
    enabled boolean not null,
    updated_by uuid references users (id),
    updated_at timestamptz not null default now()
);

-- Revocation time and reason on the certificate.
alter table certificates
    add constraint certificates_revocation_reason check (revocation_reason is null or revocation_reason in
        ('unspecified', 'key_compromise', 'affiliation_changed', 'superseded', 'cessation_of_operation'));
