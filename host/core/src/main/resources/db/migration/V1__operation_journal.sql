-- Shared by every system: intent recorded before a card is written, completion after.
-- Migration numbers: V1 shared, V2 vault (000), V3 psd (001), V4 module (002), V5 csp (003), V6 ota (004).
CREATE TABLE operation_journal (
    id          VARCHAR(36)  NOT NULL PRIMARY KEY,
    system      VARCHAR(16)  NOT NULL,
    subject     VARCHAR(128) NOT NULL,
    operation   VARCHAR(64)  NOT NULL,
    state       VARCHAR(16)  NOT NULL,
    detail      VARCHAR(1024),
    created_at  VARCHAR(40)  NOT NULL,
    updated_at  VARCHAR(40)  NOT NULL
);
CREATE INDEX operation_journal_subject ON operation_journal (system, subject, state);
