-- Production safety: demo accounts are marked and never keep a clear-text password, sessions can
-- be ended per person, sign-in throttling is atomic, and DigiCert's rate budget is shared by every
-- server process.

-- Demo accounts: marked, so a production start can find and disable them. Their password lives
-- only in the memory of the demo process that generated it.
alter table users add column demo boolean not null default false;
update users set demo = true
 where email in ('requester@example.com', 'approver@example.com', 'admin@example.com')
   and exists (select 1 from demo_settings);
drop table demo_settings;

-- Raised whenever a person's sessions must end (password change or reset, deactivation, role
-- change); a session remembers the value it started with.
alter table users add column session_epoch integer not null default 0;

-- Password checks of both kinds are throttled from one table; a row is written *before* the
-- password is verified (as a failure) and turned into a success afterwards, so concurrent tries
-- see each other.
alter table sign_in_attempts
    add column purpose text not null default 'sign_in'
        check (purpose in ('sign_in', 'password_change'));
drop index sign_in_attempts_email_at;
create index sign_in_attempts_email_at on sign_in_attempts (email, purpose, at desc);

-- Refusals of a throttled caller are audited once per window, found through this index.
create index audit_events_subject_at on audit_events (subject, action, at desc);

-- DigiCert's per-key limits hold for the whole deployment: every process records each request it
-- sends here, under an advisory lock, and waits while a window is full.
create table digicert_rate_budget (
    id bigint generated always as identity primary key,
    sent_at timestamptz not null default clock_timestamp()
);
create index digicert_rate_budget_sent_at on digicert_rate_budget (sent_at desc);
