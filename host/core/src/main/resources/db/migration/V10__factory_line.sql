-- The factory line (issue 16): runs, the devices of each run, one intent per device and stage,
-- and identities allocated before a card is written. Portable SQLite / PostgreSQL.

-- One batch: which stages, how many devices, where its simulated cards live.
CREATE TABLE factory_run (
    id               VARCHAR(36)   NOT NULL PRIMARY KEY,
    stages           VARCHAR(128)  NOT NULL,
    device_count     INTEGER       NOT NULL,
    identity_source  VARCHAR(256),
    card_source      VARCHAR(1024) NOT NULL,
    station          VARCHAR(128)  NOT NULL,
    state            VARCHAR(16)   NOT NULL,
    created_at       VARCHAR(40)   NOT NULL,
    updated_at       VARCHAR(40)   NOT NULL
);

-- One device of a run. The row exists before any stage writes the card, and names the card
-- (a simulated card file, or the reader and the card's ATR/ID) so that a resume finds it again.
-- state: PENDING (not finished), DONE, FAILED (retried by --resume), SET_ASIDE (a record of a
-- card taken off the line, with the reason in detail).
CREATE TABLE factory_device (
    run_id      VARCHAR(36)   NOT NULL,
    slot        INTEGER       NOT NULL,
    card        VARCHAR(1024) NOT NULL,
    identity    VARCHAR(64),
    chip_id     VARCHAR(32),
    state       VARCHAR(16)   NOT NULL,
    detail      VARCHAR(1024),
    updated_at  VARCHAR(40)   NOT NULL,
    CONSTRAINT factory_device_pk PRIMARY KEY (run_id, slot)
);
CREATE INDEX factory_device_state ON factory_device (run_id, state);

-- Intent before a stage writes the card (state INTENT), completion after (DONE, FAILED).
-- One row per device and stage: a resume re-runs exactly the stages that are not DONE.
CREATE TABLE factory_intent (
    run_id      VARCHAR(36)   NOT NULL,
    slot        INTEGER       NOT NULL,
    stage       VARCHAR(16)   NOT NULL,
    state       VARCHAR(16)   NOT NULL,
    attempts    INTEGER       NOT NULL,
    detail      VARCHAR(1024),
    created_at  VARCHAR(40)   NOT NULL,
    updated_at  VARCHAR(40)   NOT NULL,
    CONSTRAINT factory_intent_pk PRIMARY KEY (run_id, slot, stage)
);
CREATE INDEX factory_intent_state ON factory_intent (state);

-- Identities (IMEIs) handed out by the line. The primary key makes an identity exist once, over
-- every pool and station; a row is written (ALLOCATED, with its run and slot) before the card
-- is written and becomes USED when the device is done. seq orders a pool (offset in an IMEI
-- range, line number in a CSV file). FREE rows came from a CSV file or were given back by a
-- device that failed before its card was written; ELSEWHERE rows were found on a vault device
-- provisioned outside the line and are never handed out.
CREATE TABLE factory_identity (
    identity    VARCHAR(64)   NOT NULL PRIMARY KEY,
    pool        VARCHAR(256)  NOT NULL,
    seq         BIGINT        NOT NULL,
    state       VARCHAR(16)   NOT NULL,
    run_id      VARCHAR(36),
    slot        INTEGER,
    updated_at  VARCHAR(40)   NOT NULL
);
CREATE INDEX factory_identity_pool ON factory_identity (pool, state, seq);
CREATE INDEX factory_identity_device ON factory_identity (run_id, slot);
