-- The chip agreement key each chip presented the first time it was provisioned (public data:
-- the public half of a key generated on the chip). A later provisioning of the same chip ID
-- through a reader that presents another key (a substituted chip, or a relaying reader that
-- wants the data package sealed to its own key) is refused. One row per chip, never updated.
CREATE TABLE IF NOT EXISTS vault_chip (
    chip_id            VARCHAR(32)   NOT NULL PRIMARY KEY,
    agreement_key_hex  VARCHAR(130)  NOT NULL,
    first_seen         VARCHAR(40)   NOT NULL
);
