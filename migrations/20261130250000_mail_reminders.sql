-- Reminders: certificates ending in 30, 14, 7 and 1 days (reissue within the order, or renew),
-- and orders entering their renewal window.
alter table mail_outbox drop constraint mail_outbox_kind_check;
alter table mail_outbox add constraint mail_outbox_kind_check check (kind in
    ('approval_waiting', 'decided', 'issued', 'dcv_needed', 'forward_failed', 'expiring', 'renew_due'));
alter table mail_preferences drop constraint mail_preferences_kind_check;
alter table mail_preferences add constraint mail_preferences_kind_check check (kind in
    ('approval_waiting', 'decided', 'issued', 'dcv_needed', 'forward_failed', 'expiring', 'renew_due'));
