-- A renewal is a new order that follows an earlier one (DigiCert's renewal_of_order_id); the link
-- is kept both ways so each request page can lead to the other.
alter table requests add column renewal_of_request_id bigint references requests (id);
create index requests_renewal_of on requests (renewal_of_request_id)
    where renewal_of_request_id is not null;
