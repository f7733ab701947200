-- Issue 14: several OTA key sets per SIM, chosen per packet by the key index in KIc/KID
-- (TS 102 225 5.1.2 / 5.1.3). ota_sim keeps the key set the SIM was registered with (its default);
-- further sets live here, wrapped like it: AES-256-GCM(KEK, KIc || KID), KEK derived in the HSM
-- with context = sim_id, the associated data binding the row to sim_id and key_index.
CREATE TABLE ota_keyset (
    sim_id        VARCHAR(64)  NOT NULL REFERENCES ota_sim (sim_id),
    key_index     INTEGER      NOT NULL,
    algorithm     VARCHAR(8)   NOT NULL,
    crc           VARCHAR(8)   NOT NULL,
    keys_wrapped  VARCHAR(256) NOT NULL,
    created_at    VARCHAR(40)  NOT NULL,
    PRIMARY KEY (sim_id, key_index)
);

-- Which key set protected each message (NULL: the default set, as before this migration).
ALTER TABLE ota_message ADD COLUMN key_index INTEGER;
