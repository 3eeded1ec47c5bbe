-- History search by host name. Every name of a request is kept with each of its suffixes that
-- start at a label ("www.shop.example.com", "shop.example.com", "example.com", "com"), lower
-- case, in bytewise order. A search for "shop" or "shop.exa" is then one range of a B-tree,
-- whose cost follows the rows that match; the trigram index's cost follows the rows that share
-- the search's trigrams ("api", "com", "000"), which on a large table are most of them.
--
-- No foreign key and no second index: requests are never deleted, and a key check and another
-- B-tree per label (six or so per request) would cost every submission; the triggers below
-- keep the table in step.
create table request_name_labels (
    suffix text collate "C" not null,
    request_id bigint not null,
    primary key (suffix, request_id)
);

-- The label suffixes of `names`, each once.
create function name_label_suffixes(names text[]) returns setof text
language sql immutable parallel safe as $$
    select distinct array_to_string(labels[i:], '.')
      from unnest(names) as name,
           lateral string_to_array(lower(name), '.') as labels,
           lateral generate_subscripts(labels, 1) as i
     where name <> ''
$$;

-- New requests, a statement at a time (the load test seeds a million in one).
create function request_name_labels_added() returns trigger
language plpgsql as $$
begin
    insert into request_name_labels (suffix, request_id)
    select suffix, added.id
      from added, lateral name_label_suffixes(array_prepend(added.title, added.dns_names)) as suffix;
    return null;
end
$$;
create trigger requests_name_labels_added after insert on requests
    referencing new table as added
    for each statement execute function request_name_labels_added();

-- Names are written once today; should that change, the labels follow.
create function request_name_labels_changed() returns trigger
language plpgsql as $$
begin
    delete from request_name_labels
     where request_id = old.id
       and suffix in (select name_label_suffixes(array_prepend(old.title, old.dns_names)));
    insert into request_name_labels (suffix, request_id)
    select suffix, new.id from name_label_suffixes(array_prepend(new.title, new.dns_names)) as suffix;
    return null;
end
$$;
create trigger requests_name_labels_changed after update of title, dns_names on requests
    for each row
    when (old.title is distinct from new.title or old.dns_names is distinct from new.dns_names)
    execute function request_name_labels_changed();

insert into request_name_labels (suffix, request_id)
select suffix, r.id
  from requests r, lateral name_label_suffixes(array_prepend(r.title, r.dns_names)) as suffix;
