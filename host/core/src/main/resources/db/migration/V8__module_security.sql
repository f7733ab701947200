-- System 002, issue 13 (module security). Portable SQL: SQLite and PostgreSQL.

-- The transaction key the central system agreed with each module (claim 11) lives in the HSM
-- under key_label (persistent, sensitive, non-extractable); this row keeps only its label and
-- the replay counter of the last transaction, so both survive a restart.
CREATE TABLE module_central_key (
    module_id   VARCHAR(16)  NOT NULL PRIMARY KEY,
    key_label   VARCHAR(64)  NOT NULL,
    counter     BIGINT       NOT NULL,
    agreed_at   VARCHAR(40)  NOT NULL
);

-- TANs are now AES-CMAC'd under an HSM key (module.tan) instead of PBKDF2 (20,000 iterations,
-- brute-forced on one GPU in minutes from a copy of this table, docs/module.md "TANs"). Open TANs
-- hashed the old way are revoked and their hashes dropped: issue new ones.
UPDATE module_tan SET status = 'REVOKED', hash = '' WHERE status IN ('ISSUED', 'BLOCKED');

-- Appliances a perso unit serves remotely (claim 14), identified by their public key (P-256,
-- 04||X||Y hex): a HELLO must be signed with it (ApplianceIdentity). Replaces the self-declared id.
CREATE TABLE module_appliance (
    appliance_id   VARCHAR(64)  NOT NULL PRIMARY KEY,
    public_key     VARCHAR(130) NOT NULL,
    registered_at  VARCHAR(40)  NOT NULL
);

-- Nonces of accepted HELLOs: a recorded HELLO replayed within its time window is refused.
CREATE TABLE module_appliance_nonce (
    nonce          VARCHAR(32)  NOT NULL PRIMARY KEY,
    appliance_id   VARCHAR(64)  NOT NULL,
    seen_at        VARCHAR(40)  NOT NULL
);
