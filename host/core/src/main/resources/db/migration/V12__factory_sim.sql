-- The factory line's sim stage (issue 16): per device, which SIM ID (ICCID) its OTA key set was
-- registered under in ota_sim. The key set itself lives only in ota_sim, wrapped under the HSM's
-- OTA KEK; nothing here is secret. Portable SQLite / PostgreSQL.
-- state: REGISTERED (intent: written before the key set is registered and before PERSONALIZE),
-- DONE (the card answered an OTA STATUS under the key set with a good PoR), SET_ASIDE (the card's
-- key set is not one the line knows; detail says why).
CREATE TABLE factory_sim (
    run_id       VARCHAR(36)   NOT NULL,
    slot         INTEGER       NOT NULL,
    sim_id       VARCHAR(64)   NOT NULL,
    state        VARCHAR(16)   NOT NULL,
    detail       VARCHAR(1024),
    updated_at   VARCHAR(40)   NOT NULL,
    CONSTRAINT factory_sim_pk PRIMARY KEY (run_id, slot),
    CONSTRAINT factory_sim_once UNIQUE (sim_id)
);
