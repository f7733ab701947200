-- issue 12: moving a PSD to a new KRK version. The new cryptogram (RSA-OAEP of the new random)
-- and its KRK version are recorded as intent before CHANGE KRK reaches the card and become the
-- PSD's cryptogram and KRK version once the card confirms (or reconcile finds the card moved).
ALTER TABLE psd_device ADD COLUMN pending_krk_version INTEGER;
ALTER TABLE psd_device ADD COLUMN pending_cryptogram VARCHAR(1100);
