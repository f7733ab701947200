-- Seed 004: OTA server state per SIM. Key material is never stored in clear: keys_wrapped is
-- AES-256-GCM(KEK, KIc || KID) with KEK = SP 800-108 KDF inside the HSM (label "ota-kek",
-- context = sim_id); hex-encoded as every byte column in cardsmith.
CREATE TABLE ota_sim (
    sim_id        VARCHAR(64)  NOT NULL PRIMARY KEY,
    algorithm     VARCHAR(8)   NOT NULL,
    kic_index     INTEGER      NOT NULL,
    kid_index     INTEGER      NOT NULL,
    tar           VARCHAR(6)   NOT NULL,
    keys_wrapped  VARCHAR(256) NOT NULL,
    counter_mode  VARCHAR(12)  NOT NULL,
    counter       BIGINT       NOT NULL,
    trust_state   VARCHAR(16)  NOT NULL,
    last_event_seq INTEGER     NOT NULL,
    created_at    VARCHAR(40)  NOT NULL,
    updated_at    VARCHAR(40)  NOT NULL
);

-- Every secured packet the server built: counter reserved before sending (intent), PoR after.
CREATE TABLE ota_message (
    id           VARCHAR(36)  NOT NULL PRIMARY KEY,
    sim_id       VARCHAR(64)  NOT NULL REFERENCES ota_sim (sim_id),
    command      VARCHAR(32)  NOT NULL,
    counter      BIGINT       NOT NULL,
    spi          VARCHAR(4)   NOT NULL,
    packet_bytes INTEGER      NOT NULL,
    sms_count    INTEGER      NOT NULL,
    por_status   INTEGER,
    state        VARCHAR(16)  NOT NULL,
    created_at   VARCHAR(40)  NOT NULL,
    updated_at   VARCHAR(40)  NOT NULL
);
CREATE INDEX ota_message_sim ON ota_message (sim_id, counter);

-- Events the SIM reported (Fig. 1 step 28 acknowledgement, revocations), de-duplicated by seq.
CREATE TABLE ota_event (
    sim_id       VARCHAR(64)  NOT NULL REFERENCES ota_sim (sim_id),
    seq          INTEGER      NOT NULL,
    event_type   VARCHAR(24)  NOT NULL,
    generation   INTEGER      NOT NULL,
    event_date   VARCHAR(10)  NOT NULL,
    received_at  VARCHAR(40)  NOT NULL,
    PRIMARY KEY (sim_id, seq)
);
