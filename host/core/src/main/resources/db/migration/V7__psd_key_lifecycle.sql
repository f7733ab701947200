-- issue 12: moving a PSD to a new KRK version. The new cryptogram (RSA-OAEP of the new random)
-- and its KRK version are recorded as intent before CHANGE KRK reaches the card and become the
-- PSD's cryptogram and KRK version once the card confirms (or reconcile finds the card moved).
ALTER TABLE psd_device ADD COLUMN pending_krk_version INTEGER;
ALTER TABLE psd_device ADD COLUMN pending_cryptogram VARCHAR(1100);

-- issue 12: key-transfer files from the key management server. The KMS signing key the access
-- server trusts (public, pinned once by an operator) and every file imported, so that a file
-- signed by another key, replayed, or older than what is held is refused.
CREATE TABLE psd_kms_trust (
    fingerprint VARCHAR(64)   NOT NULL PRIMARY KEY,  -- hex SHA-256 of the KMS signing public key (DER)
    public_key  VARCHAR(400)  NOT NULL,              -- hex DER SubjectPublicKeyInfo (EC P-256)
    pinned_at   VARCHAR(40)   NOT NULL
);
CREATE TABLE psd_key_transfer (
    sequence    BIGINT        NOT NULL PRIMARY KEY,  -- the KMS's export sequence (strictly increasing)
    signer      VARCHAR(64)   NOT NULL,              -- fingerprint of the signing key
    mk_latest   INTEGER       NOT NULL,
    krk_latest  INTEGER       NOT NULL,
    imported_at VARCHAR(40)   NOT NULL
);
