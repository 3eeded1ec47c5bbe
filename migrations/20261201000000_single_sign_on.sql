-- Single sign-on: an account may belong to a person at the company's OpenID provider (issuer and
-- subject, which never change, unlike an email address) and then needs no password of its own.

alter table users alter column password_hash drop not null;
alter table users add column sso_issuer text, add column sso_subject text;
alter table users add constraint users_sso_identity_whole
    check ((sso_issuer is null) = (sso_subject is null));
alter table users add constraint users_can_sign_in
    check (password_hash is not null or sso_subject is not null);
create unique index users_sso_identity_unique on users (sso_issuer, sso_subject)
    where sso_subject is not null;
