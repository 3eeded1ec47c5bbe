-- Approvers may take one mail a day listing what waits for them instead of one per request
-- (`approval_digest` in mail_preferences, off unless chosen).
alter table mail_outbox drop constraint mail_outbox_kind_check;
alter table mail_outbox add constraint mail_outbox_kind_check check (kind in
    ('approval_waiting', 'decided', 'issued', 'dcv_needed', 'forward_failed', 'expiring', 'renew_due',
     'approval_digest'));
alter table mail_preferences drop constraint mail_preferences_kind_check;
alter table mail_preferences add constraint mail_preferences_kind_check check (kind in
    ('approval_waiting', 'decided', 'issued', 'dcv_needed', 'forward_failed', 'expiring', 'renew_due',
     'approval_digest'));
