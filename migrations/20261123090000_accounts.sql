-- Accounts, the audit trail and sign-in throttling.

create table users (
    id uuid primary key default gen_random_uuid(),
    -- Stored trimmed and lower-case, so uniqueness is case-insensitive.
    email text not null check (email = lower(btrim(email)) and length(email) between 3 and 254),
    display_name text not null check (length(btrim(display_name)) between 1 and 200),
    password_hash text not null,
    roles text[] not null check (
        cardinality(roles) >= 1 and roles <@ array['requester', 'approver', 'admin']::text[]
    ),
    active boolean not null default true,
    must_change_password boolean not null default false,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create unique index users_email_unique on users (email);

create table audit_events (
    id bigint generated always as identity primary key,
    at timestamptz not null default now(),
    actor_id uuid references users (id),
    action text not null,
    subject text,
    client_ip text,
    details jsonb not null default '{}'
);
create index audit_events_at on audit_events (at desc);
create index audit_events_actor_at on audit_events (actor_id, at desc);

create table sign_in_attempts (
    id bigint generated always as identity primary key,
    email text not null,
    client_ip text not null,
    succeeded boolean not null,
    at timestamptz not null default now()
);
create index sign_in_attempts_email_at on sign_in_attempts (email, at desc);
create index sign_in_attempts_client_at on sign_in_attempts (client_ip, at desc);

-- Demo mode only: the generated password of the seeded demo users, shown on the sign-in page.
create table demo_settings (
    singleton boolean primary key default true check (singleton),
    password text not null
);
