-- Decisions, forwarding to DigiCert (an outbox of jobs), and what DigiCert answered.

alter table requests
    add column decided_by uuid references users (id),
    add column decided_at timestamptz,
    add column decision_note text,
    add column digicert_order_id bigint,
    add column digicert_request_id bigint,
    add column digicert_status text,
    add column certificate_id bigint,
    add column certificate_pem text,
    add column chain_pem text,
    add column issued_at timestamptz,
    add column expires_at timestamptz,
    add column forward_error jsonb,
    -- Separation of duties, whatever code writes the row.
    add constraint requests_no_self_decision check (decided_by is null or decided_by <> requester_id),
    add constraint requests_decision_recorded check (
        status in ('pending_approval', 'cancelled') or decided_by is not null
    );

-- One job per request that still needs DigiCert: 'place' the order, then 'track' it until it is
-- issued. Workers claim due jobs with FOR UPDATE SKIP LOCKED and hold them under a lease; a job
-- whose lease ran out (its worker died) is claimed again.
create table forward_jobs (
    request_id bigint primary key references requests (id),
    kind text not null default 'place' check (kind in ('place', 'track')),
    attempts integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    lease_owner text,
    lease_until timestamptz,
    -- Set before each POST leaves: an order may exist at DigiCert, so look it up before posting.
    posted boolean not null default false,
    last_error text,
    created_at timestamptz not null default now()
);
create index forward_jobs_due on forward_jobs (next_attempt_at);
