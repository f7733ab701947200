package dev.cardsmith.applet.vault;

import dev.cardsmith.applet.platform.Sw;
import dev.cardsmith.applet.platform.ApduIo;
import dev.cardsmith.applet.platform.Bytes;
import dev.cardsmith.applet.platform.P256;
import dev.cardsmith.applet.platform.Tlv;
import javacard.framework.APDU;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.CryptoException;
import javacardx.crypto.Cipher;

/**
 * The data package and the device certificate: STORE PACKAGE (with its backup package), RESTORE
 * and STORE CERTIFICATE. The dispatch table has already checked the lifecycle state.
 */
final class PackageStore {

    private final VaultState st;
    private final VaultCrypto crypto;
    private final Transients transients;
    private final ApduIo io;
    private final Tlv tlv;

    PackageStore(VaultState st, VaultCrypto crypto, Transients transients, ApduIo io, Tlv tlv) {
        this.st = st;
        this.crypto = crypto;
        this.transients = transients;
        this.io = io;
        this.tlv = tlv;
    }

    private short expect(byte tag, short min, short max) {
        return tlv.expect((short) (tag & 0xFF), min, max);
    }

    /**
     * Checks a plain data package C3 identity | C4 channel key | C5 device private key |
     * C6 device public key (in this order, nothing after it), that the public key is a P-256
     * point and that the key pair matches. Sets the (inert, since the state is EMPTY) key
     * objects.
     */
    private void checkAndLoadPackage(byte[] b, short off, short len) {
        tlv.start(b, off, len);
        expect(Constants.TAG_IDENTITY, Constants.IDENTITY_MIN, Constants.IDENTITY_MAX);
        expect(Constants.TAG_CHANNEL_KEY, Constants.CHANNEL_KEY_LENGTH, Constants.CHANNEL_KEY_LENGTH);
        short keyOff = tlv.valueOffset();
        expect(Constants.TAG_DEVICE_PRIVATE_KEY, Constants.EC_PRIVATE_LENGTH, Constants.EC_PRIVATE_LENGTH);
        short privOff = tlv.valueOffset();
        expect(Constants.TAG_DEVICE_PUBLIC_KEY, Constants.EC_POINT_LENGTH, Constants.EC_POINT_LENGTH);
        short pubOff = tlv.valueOffset();
        tlv.finish();
        byte[] r = transients.ram;
        P256.checkPoint(b, pubOff, Constants.EC_POINT_LENGTH, r, Transients.OFF_SIG);

        // the state is EMPTY: nothing uses these key objects. wipePending (one atomic write)
        // makes a failed check or a tear from here to commitPackage clear them again.
        st.wipePending = true;
        try {
            st.channelKey.setKey(b, keyOff);
            st.devicePrivate.setS(b, privOff, Constants.EC_PRIVATE_LENGTH);
            st.devicePublic.setW(b, pubOff, Constants.EC_POINT_LENGTH);
            // the pair must match: sign the public point with the private key, verify with the public
            short sigLen = crypto.sign(st.devicePrivate, b, pubOff, Constants.EC_POINT_LENGTH, r, Transients.OFF_SIG);
            if (!crypto.verify(st.devicePublic, b, pubOff, Constants.EC_POINT_LENGTH, r, Transients.OFF_SIG, sigLen)) {
                ISOException.throwIt(Sw.WRONG_DATA);
            }
        } catch (CryptoException e) {
            ISOException.throwIt(Sw.WRONG_DATA); // a private scalar the engine refuses (0, >= n)
        }
    }

    /**
     * Commits a checked package: identity, public point, state; the key objects are already set.
     * The bulk bytes go in first, outside the transaction (commit buffers on real cards are
     * small): in state EMPTY nothing reads identity or devicePublicW, so a tear here leaves an
     * EMPTY card with stray bytes, never a mix. The transaction then flips lengths and state only.
     */
    private void commitPackage(byte[] b, short off, short len, boolean newVersion) {
        // the package passed checkAndLoadPackage: read its offsets again, whatever length forms it used
        tlv.start(b, off, len);
        short idLen = expect(Constants.TAG_IDENTITY, Constants.IDENTITY_MIN, Constants.IDENTITY_MAX);
        Util.arrayCopyNonAtomic(b, tlv.valueOffset(), st.identity, (short) 0, idLen);
        tlv.next();
        tlv.next();
        expect(Constants.TAG_DEVICE_PUBLIC_KEY, Constants.EC_POINT_LENGTH, Constants.EC_POINT_LENGTH);
        Util.arrayCopyNonAtomic(b, tlv.valueOffset(), st.devicePublicW, (short) 0, Constants.EC_POINT_LENGTH);
        JCSystem.beginTransaction();
        st.identityLength = (byte) idLen;
        st.certificateLength = 0;
        if (newVersion) st.packageVersion++;
        st.wipePending = false;
        st.state = Constants.STATE_PACKAGED;
        JCSystem.commitTransaction();
    }

    /**
     * STORE PACKAGE (claims 1, 9, 18): opens a sealed data package (Constants.SEALED_*: host
     * ephemeral point, ciphertext, MAC; keys from ECDH with the chip agreement key and the last
     * GET CHALLENGE), stores it and answers with the backup package 01 | chip ID | version | IV |
     * AES-CBC(K_enc, IV, pad(package)) | CMAC(K_mac, all before), followed by
     * CMAC(K_seal_mac, 52 || backup) so the host knows this chip opened it. Order: challenge
     * consumed, format, point on the curve, MAC, then decrypt and the package checks; nothing
     * is written before the MAC verified.
     */
    void storePackage(APDU apdu) {
        short len = io.receive(apdu, (short) 1, Constants.SEALED_MAX, false);
        if (!st.manufacturerKeySet || st.packageVersion == (short) 0x7FFF) {
            ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED);
        }
        // single use: a refused attempt burns the challenge, so each guess needs a new one
        if (!transients.challengeFresh()) ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED);
        transients.setChallengeFresh(false);
        short ctLen = (short) (len - Constants.SEALED_OVERHEAD);
        if (ctLen < Constants.AES_BLOCK || (short) (ctLen & 0x0F) != 0) ISOException.throwIt(Sw.WRONG_LENGTH);
        byte[] buf = apdu.getBuffer();
        short b0 = ISO7816.OFFSET_CDATA;
        if (buf[(short) (b0 + Constants.SEALED_OFF_FORMAT)] != Constants.SEALED_FORMAT) ISOException.throwIt(Sw.WRONG_DATA);
        short point = (short) (b0 + Constants.SEALED_OFF_POINT);
        byte[] r = transients.ram;
        P256.checkPoint(buf, point, Constants.EC_POINT_LENGTH, r, Transients.OFF_SIG);
        openSeal(buf, point);
        short macOff = (short) (b0 + Constants.SEALED_OFF_CIPHERTEXT + ctLen);
        crypto.cmac.mac(crypto.sealMac, buf, b0, (short) (macOff - b0), r, Transients.OFF_SIG);
        if (!Bytes.equal(r, Transients.OFF_SIG, buf, macOff, Constants.MAC_LENGTH)) {
            ISOException.throwIt(Sw.SECURITY_STATUS_NOT_SATISFIED); // another chip's, tampered or replayed
        }
        crypto.cbcZeroIv(crypto.sealEnc, Cipher.MODE_DECRYPT, buf, (short) (b0 + Constants.SEALED_OFF_CIPHERTEXT), ctLen,
                r, Transients.OFF_SCRATCH);
        short plainLen = Bytes.unpad(r, Transients.OFF_SCRATCH, ctLen);
        if (plainLen < 0) ISOException.throwIt(Sw.WRONG_DATA);
        checkAndLoadPackage(r, Transients.OFF_SCRATCH, plainLen);
        commitPackage(r, Transients.OFF_SCRATCH, plainLen, true);
        short backupLen = writeBackup(buf, plainLen);
        // the response MAC: 52 || backup under K_seal_mac
        r[Transients.OFF_SIG] = Constants.SEAL_RESPONSE_DOMAIN;
        crypto.cmac.init(crypto.sealMac);
        crypto.cmac.update(r, Transients.OFF_SIG, (short) 1);
        crypto.cmac.sign(buf, (short) 0, backupLen, buf, backupLen);
        crypto.clearSeal();
        transients.clearWork();
        apdu.setOutgoingAndSend((short) 0, (short) (backupLen + Constants.MAC_LENGTH));
    }

    /**
     * The backup package of the plain package in the scratch area ({@code plainLen} bytes), into
     * {@code buf} from 0: 01 | chip ID | version | IV | AES-CBC(K_enc, IV, pad(package)) |
     * CMAC(K_mac, all before). Returns its length.
     */
    private short writeBackup(byte[] buf, short plainLen) {
        byte[] r = transients.ram;
        short padded = Bytes.pad(r, Transients.OFF_SCRATCH, plainLen);
        buf[Constants.BACKUP_OFF_FORMAT] = Constants.BACKUP_FORMAT;
        Util.arrayCopyNonAtomic(st.chipId, (short) 0, buf, Constants.BACKUP_OFF_CHIP_ID, Constants.CHIP_ID_LENGTH);
        Util.setShort(buf, Constants.BACKUP_OFF_VERSION, st.packageVersion);
        crypto.random.generateData(buf, Constants.BACKUP_OFF_IV, Constants.AES_BLOCK);
        crypto.cbc(st.encKey, Cipher.MODE_ENCRYPT, buf, Constants.BACKUP_OFF_IV,
                r, Transients.OFF_SCRATCH, padded, buf, Constants.BACKUP_OFF_CIPHERTEXT);
        short backupMacOff = (short) (Constants.BACKUP_OFF_CIPHERTEXT + padded);
        crypto.cmac.mac(st.macKey, buf, (short) 0, backupMacOff, buf, backupMacOff);
        return (short) (backupMacOff + Constants.MAC_LENGTH);
    }

    /**
     * GET BACKUP (PACKAGED only; the dispatch table checked it): the backup package of the stored
     * package again, for a host that lost the STORE PACKAGE answer. Order: length, fresh challenge
     * (consumed even when the MAC is wrong, so each guess needs a new one), request MAC =
     * CMAC(channel key, 51 || chip ID || challenge), which only the holder of the channel key
     * (the secure processing point: KDF of its master key and the identity) can compute. The
     * answer holds no key in clear: the package inside the backup is encrypted and authenticated
     * under the chip key; the response MAC under the channel key binds the backup to this challenge
     * and to the stored device public key. Nothing persistent is written; the version stays.
     */
    void getBackup(APDU apdu) {
        io.receive(apdu, Constants.MAC_LENGTH, Constants.MAC_LENGTH, false);
        if (!transients.challengeFresh()) ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED);
        transients.setChallengeFresh(false);
        byte[] buf = apdu.getBuffer();
        byte[] r = transients.ram;
        short o = Transients.OFF_SIG;
        r[o++] = Constants.BACKUP_REQUEST_DOMAIN;
        o = Util.arrayCopyNonAtomic(st.chipId, (short) 0, r, o, Constants.CHIP_ID_LENGTH);
        o = Util.arrayCopyNonAtomic(r, Transients.OFF_CHALLENGE, r, o, Constants.CHALLENGE_LENGTH);
        crypto.cmac.mac(st.channelKey, r, Transients.OFF_SIG, (short) (o - Transients.OFF_SIG), r, o);
        if (!Bytes.equal(r, o, buf, ISO7816.OFFSET_CDATA, Constants.MAC_LENGTH)) {
            ISOException.throwIt(Sw.SECURITY_STATUS_NOT_SATISFIED);
        }
        // the stored package again, as checkAndLoadPackage reads it: C3 identity | C4 | C5 | C6
        short p = Tlv.put(r, Transients.OFF_SCRATCH, Constants.TAG_IDENTITY, st.identity, (short) 0, st.identityLength);
        r[p++] = Constants.TAG_CHANNEL_KEY;
        r[p++] = (byte) Constants.CHANNEL_KEY_LENGTH;
        st.channelKey.getKey(r, p);
        p += Constants.CHANNEL_KEY_LENGTH;
        r[p++] = Constants.TAG_DEVICE_PRIVATE_KEY;
        r[p++] = (byte) Constants.EC_PRIVATE_LENGTH;
        if (st.devicePrivate.getS(r, p) != Constants.EC_PRIVATE_LENGTH) ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED);
        p += Constants.EC_PRIVATE_LENGTH;
        p = Tlv.put(r, p, Constants.TAG_DEVICE_PUBLIC_KEY, st.devicePublicW, (short) 0, Constants.EC_POINT_LENGTH);
        short backupLen = writeBackup(buf, (short) (p - Transients.OFF_SCRATCH));
        // the response MAC: 42 || challenge || device public key || backup under the channel key
        r[Transients.OFF_SIG] = Constants.BACKUP_RESPONSE_DOMAIN;
        Util.arrayCopyNonAtomic(r, Transients.OFF_CHALLENGE, r, (short) (Transients.OFF_SIG + 1), Constants.CHALLENGE_LENGTH);
        crypto.cmac.init(st.channelKey);
        crypto.cmac.update(r, Transients.OFF_SIG, (short) (1 + Constants.CHALLENGE_LENGTH));
        crypto.cmac.update(st.devicePublicW, (short) 0, Constants.EC_POINT_LENGTH);
        crypto.cmac.sign(buf, (short) 0, backupLen, buf, backupLen);
        transients.clearWork(); // the plain package (channel key, private scalar) leaves RAM
        apdu.setOutgoingAndSend((short) 0, (short) (backupLen + Constants.MAC_LENGTH));
    }

    /**
     * Z = ECDH(chip agreement key, host point), the x-coordinate, as an AES-256 key; K_seal_enc
     * and K_seal_mac derived from it with context chip ID || challenge. The point is already
     * checked on the curve. Z passes through RAM only.
     */
    private void openSeal(byte[] buf, short point) {
        byte[] r = transients.ram;
        crypto.ecdh.init(st.agreement.getPrivate());
        crypto.ecdh.generateSecret(buf, point, Constants.EC_POINT_LENGTH, r, Transients.OFF_SIG);
        crypto.sealSecret.setKey(r, Transients.OFF_SIG);
        // context chip ID || challenge, staged after Z (outside the KDF's scratch area)
        short ctx = (short) (Transients.OFF_SIG + Constants.EC_FIELD_LENGTH);
        Util.arrayCopyNonAtomic(st.chipId, (short) 0, r, ctx, Constants.CHIP_ID_LENGTH);
        Util.arrayCopyNonAtomic(r, Transients.OFF_CHALLENGE, r, (short) (ctx + Constants.CHIP_ID_LENGTH), Constants.CHALLENGE_LENGTH);
        short ctxLen = (short) (Constants.CHIP_ID_LENGTH + Constants.CHALLENGE_LENGTH);
        crypto.deriveAes128(crypto.sealSecret, Constants.KDF_LABEL_SEAL_ENC, r, ctx, ctxLen, crypto.sealEnc);
        crypto.deriveAes128(crypto.sealSecret, Constants.KDF_LABEL_SEAL_MAC, r, ctx, ctxLen, crypto.sealMac);
        crypto.sealSecret.clearKey();
        Util.arrayFillNonAtomic(r, Transients.OFF_SIG, (short) (Constants.EC_FIELD_LENGTH + ctxLen), (byte) 0);
    }

    /**
     * RESTORE (claim 17): chip binding, MAC, version, then decrypt and reinstall. Any failure
     * leaves the card as it was (the state byte is only written in commitPackage).
     */
    void restore(APDU apdu) {
        short len = io.receive(apdu, (short) (Constants.BACKUP_OVERHEAD + Constants.AES_BLOCK),
                (short) (Constants.BACKUP_OVERHEAD + Constants.PACKAGE_PADDED_MAX), false);
        short ctLen = (short) (len - Constants.BACKUP_OVERHEAD);
        if ((short) (ctLen & 0x0F) != 0) ISOException.throwIt(Sw.WRONG_LENGTH);
        byte[] buf = apdu.getBuffer();
        short b0 = ISO7816.OFFSET_CDATA;
        if (buf[(short) (b0 + Constants.BACKUP_OFF_FORMAT)] != Constants.BACKUP_FORMAT
                || Util.arrayCompare(buf, (short) (b0 + Constants.BACKUP_OFF_CHIP_ID), st.chipId, (short) 0, Constants.CHIP_ID_LENGTH) != 0) {
            ISOException.throwIt(Sw.WRONG_DATA); // not this chip's backup
        }
        byte[] r = transients.ram;
        short macOff = (short) (b0 + Constants.BACKUP_OFF_CIPHERTEXT + ctLen);
        crypto.cmac.mac(st.macKey, buf, b0, (short) (macOff - b0), r, Transients.OFF_SIG);
        if (!Bytes.equal(r, Transients.OFF_SIG, buf, macOff, Constants.MAC_LENGTH)) {
            ISOException.throwIt(Sw.SECURITY_STATUS_NOT_SATISFIED);
        }
        if (Util.getShort(buf, (short) (b0 + Constants.BACKUP_OFF_VERSION)) != st.packageVersion) {
            ISOException.throwIt(Sw.REFERENCE_DATA_NOT_USABLE); // an older (superseded) backup
        }
        crypto.cbc(st.encKey, Cipher.MODE_DECRYPT, buf, (short) (b0 + Constants.BACKUP_OFF_IV),
                buf, (short) (b0 + Constants.BACKUP_OFF_CIPHERTEXT), ctLen, r, Transients.OFF_SCRATCH);
        short plainLen = Bytes.unpad(r, Transients.OFF_SCRATCH, ctLen);
        if (plainLen < 0) ISOException.throwIt(Sw.WRONG_DATA);
        checkAndLoadPackage(r, Transients.OFF_SCRATCH, plainLen);
        commitPackage(r, Transients.OFF_SCRATCH, plainLen, false);
        transients.clearWork();
    }

    /**
     * STORE CERTIFICATE (claims 2, 19): C0 01 01 | C1 chip ID | C3 identity | C6 device public
     * key | 9E ECDSA-SHA256(manufacturer key, all bytes before 9E). Must name this chip, the
     * stored identity and the stored device key, and verify under the stored manufacturer key.
     */
    void storeCertificate(APDU apdu) {
        short len = io.receive(apdu, (short) 1, Constants.CERTIFICATE_MAX, false);
        byte[] b = apdu.getBuffer();
        short off = ISO7816.OFFSET_CDATA;
        tlv.start(b, off, len);
        expect(Constants.TAG_FORMAT, (short) 1, (short) 1);
        if (b[tlv.valueOffset()] != Constants.CERTIFICATE_FORMAT) ISOException.throwIt(Sw.WRONG_DATA);
        expect(Constants.TAG_CHIP_ID, Constants.CHIP_ID_LENGTH, Constants.CHIP_ID_LENGTH);
        if (Util.arrayCompare(b, tlv.valueOffset(), st.chipId, (short) 0, Constants.CHIP_ID_LENGTH) != 0) {
            ISOException.throwIt(Sw.WRONG_DATA);
        }
        short idLen = expect(Constants.TAG_IDENTITY, Constants.IDENTITY_MIN, Constants.IDENTITY_MAX);
        if (idLen != st.identityLength
                || Util.arrayCompare(b, tlv.valueOffset(), st.identity, (short) 0, idLen) != 0) {
            ISOException.throwIt(Sw.WRONG_DATA);
        }
        expect(Constants.TAG_DEVICE_PUBLIC_KEY, Constants.EC_POINT_LENGTH, Constants.EC_POINT_LENGTH);
        if (Util.arrayCompare(b, tlv.valueOffset(), st.devicePublicW, (short) 0, Constants.EC_POINT_LENGTH) != 0) {
            ISOException.throwIt(Sw.WRONG_DATA);
        }
        short tbsLen = (short) (tlv.position() - off);
        short sigLen = expect(Constants.TAG_SIGNATURE, (short) 8, Constants.ECDSA_MAX_LENGTH);
        tlv.finish();
        if (!crypto.verify(st.manufacturerKey, b, off, tbsLen, b, tlv.valueOffset(), sigLen)) {
            ISOException.throwIt(Sw.SECURITY_STATUS_NOT_SATISFIED);
        }
        // bulk bytes first, outside the transaction: in state PACKAGED nothing reads the certificate
        Util.arrayCopyNonAtomic(b, off, st.certificate, (short) 0, len);
        JCSystem.beginTransaction();
        st.certificateLength = len;
        st.state = Constants.STATE_PROVISIONED;
        JCSystem.commitTransaction();
    }
}
