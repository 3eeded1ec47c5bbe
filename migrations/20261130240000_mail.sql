-- Mail that tells people what to do, written to an outbox in the same transaction as the event
-- that causes it and sent by a worker with retries. Links in the bodies are written relative as
-- `{portal}/…` and completed with CERTDESK_PUBLIC_URL when the mail is sent or shown.

create table mail_outbox (
    id bigint generated always as identity primary key,
    kind text not null check (kind in
        ('approval_waiting', 'decided', 'issued', 'dcv_needed', 'forward_failed')),
    recipient_id uuid references users (id),
    to_address text not null,
    subject text not null,
    text_body text not null,
    html_body text not null,
    -- One mail per event and recipient, whatever retries or instances do.
    event_key text not null,
    created_at timestamptz not null default now(),
    next_attempt_at timestamptz not null default now(),
    attempts integer not null default 0,
    lease_owner text,
    lease_until timestamptz,
    sent_at timestamptz,
    last_error text,
    unique (event_key, to_address)
);
create index mail_outbox_due on mail_outbox (next_attempt_at) where sent_at is null;
create index mail_outbox_recent on mail_outbox (id desc);

-- A person's choice per kind of mail; no row means the kind is on.
create table mail_preferences (
    user_id uuid not null references users (id),
    kind text not null check (kind in
        ('approval_waiting', 'decided', 'issued', 'dcv_needed', 'forward_failed')),
    enabled boolean not null,
    primary key (user_id, kind)
);
