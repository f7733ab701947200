-- A device identity (IMEI) is bound to exactly one chip (issue 13: the same IMEI had been
-- provisioned on six chips). vault_identity holds the current binding, one row per identity
-- (the primary key is what refuses a second chip, also between stations racing on a shared
-- database); moving an identity to another chip is the explicit 'cardsmith device reassign',
-- which updates the row and appends to vault_identity_history. Public data, like vault_device.
CREATE TABLE IF NOT EXISTS vault_identity (
    device_identity  VARCHAR(64)   NOT NULL PRIMARY KEY,
    chip_id          VARCHAR(32)   NOT NULL,
    assigned_at      VARCHAR(40)   NOT NULL
);
CREATE INDEX IF NOT EXISTS vault_identity_chip ON vault_identity (chip_id);

-- Every binding ever made, oldest first per identity: action 'bind' (first provision) or
-- 'reassign' (with the chip it was taken from and the operator's reason). Append-only.
CREATE TABLE IF NOT EXISTS vault_identity_history (
    device_identity  VARCHAR(64)   NOT NULL,
    seq              INTEGER       NOT NULL,
    action           VARCHAR(16)   NOT NULL,
    chip_id          VARCHAR(32)   NOT NULL,
    previous_chip_id VARCHAR(32),
    reason           VARCHAR(256),
    created_at       VARCHAR(40)   NOT NULL,
    CONSTRAINT vault_identity_history_pk PRIMARY KEY (device_identity, seq)
);

-- Records made before this migration: each identity goes to the chip that carried it first
-- (earliest created_at, then the lowest chip ID); the other chips that carry it are clones
-- that 'device verify' reports and that only 'device reassign' can take the identity to.
INSERT INTO vault_identity (device_identity, chip_id, assigned_at)
SELECT d.device_identity, MIN(d.chip_id), MIN(d.created_at)
FROM vault_device d
WHERE d.created_at = (SELECT MIN(e.created_at) FROM vault_device e WHERE e.device_identity = d.device_identity)
  AND NOT EXISTS (SELECT 1 FROM vault_identity i WHERE i.device_identity = d.device_identity)
GROUP BY d.device_identity;
INSERT INTO vault_identity_history (device_identity, seq, action, chip_id, previous_chip_id, reason, created_at)
SELECT i.device_identity, 1, 'bind', i.chip_id, NULL, 'recorded before identity binding', i.assigned_at
FROM vault_identity i
WHERE NOT EXISTS (SELECT 1 FROM vault_identity_history h WHERE h.device_identity = i.device_identity);
