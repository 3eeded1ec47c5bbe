-- DigiCert's price estimate for a request, taken when it is submitted (finance/order-pricing).
-- Absent when DigiCert could not estimate it (it answers 0 then): shown as "unknown", never free.
alter table requests
    add column price_cents bigint check (price_cents > 0),
    add column price_currency text check (price_currency ~ '^[A-Z]{3}$'),
    add constraint requests_price_whole check ((price_cents is null) = (price_currency is null));
