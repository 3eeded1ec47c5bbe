-- The dashboard counts current certificates by their expiry, and orders by their end.
create index certificates_current_expiry on certificates (not_after) where status = 'issued';
create index requests_order_end on requests (order_valid_till) where status = 'issued';
