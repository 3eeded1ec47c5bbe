-- The account's domains and the day their DCV lapses, copied from DigiCert (`GET domain`) by the
-- workers, so the Certificates view can say which certificates will need DCV again.
create table account_domains (
    name text primary key,
    dcv_expires_on date,
    refreshed_at timestamptz not null default now()
);

-- Periodic work shared by every instance: whoever moves `next_run_at` forward does the run.
create table periodic_tasks (
    name text primary key,
    next_run_at timestamptz not null default now()
);
