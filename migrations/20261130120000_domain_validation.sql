-- Domain control validation (DCV) of orders at DigiCert: the method, DigiCert's random value and
-- each name's state, so the request page can say exactly what to publish and the dashboard can
-- count the orders that wait on it.

alter table requests
    add column dcv_method text
        check (dcv_method in ('email', 'dns-txt-token', 'dns-cname-token', 'http-token')),
    add column dcv_random_value text,
    add column dcv_value_expires_at timestamptz,
    -- The last check asked of DigiCert (by a person or the worker) and what it said.
    add column dcv_checked_at timestamptz,
    add column dcv_check_note text;

create table request_dcv_names (
    request_id bigint not null references requests (id),
    dns_name text not null,
    validated boolean not null default false,
    primary key (request_id, dns_name)
);
-- "Waiting on DCV" counts and lists read only the names still to prove.
create index request_dcv_names_waiting on request_dcv_names (request_id) where not validated;
