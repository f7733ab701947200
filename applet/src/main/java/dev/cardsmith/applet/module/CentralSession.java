package dev.cardsmith.applet.module;

import dev.cardsmith.applet.platform.ApduIo;
import dev.cardsmith.applet.platform.Bytes;
import dev.cardsmith.applet.platform.P256;
import dev.cardsmith.applet.platform.Sw;
import dev.cardsmith.applet.platform.Tlv;
import javacard.framework.APDU;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.ECPrivateKey;

/**
 * The operating state (claims 1, 4, 11): key agreement with the central system (CENTRAL
 * AUTHENTICATE, CENTRAL CONFIRM), which stores a transaction key, and the transactions it
 * protects (TRANSACTION, with a strictly increasing counter).
 */
final class CentralSession {

    private final Persistent p;
    private final Transients t;
    private final Crypto crypto;
    private final Tlv tlv;
    private final ApduIo io;
    private final Session session;

    CentralSession(Persistent p, Transients t, Crypto crypto, Tlv tlv, ApduIo io, Session session) {
        this.p = p;
        this.t = t;
        this.crypto = crypto;
        this.tlv = tlv;
        this.io = io;
        this.session = session;
    }

    /**
     * CENTRAL AUTHENTICATE. In: 5F49 ephemeral key of the central system (on the curve, 6A80).
     * The module forms an ephemeral key and derives, with ANSI X9.63 (SHA-256) over
     * ECDH(eSK.card, ePK.cs) || ECDH(SK.module, ePK.cs), a receipt key and the transaction key (GP
     * SCP11b-like; only the holder of the private module key gets the same keys). Out: 5F49
     * ephemeral key || 86 receipt || module certificate (claim 1: the certificate goes to the
     * central system).
     */
    void authenticate(APDU apdu, byte[] in, short off, short len) {
        if (!p.moduleKeySet || !p.centralKeySet || p.moduleCertLength == 0) ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED);
        session.end();
        byte[] ram = t.ram;
        tlv.start(in, off, len);
        tlv.expect(Constants.TAG_EPHEMERAL_KEY, Constants.EC_POINT_LENGTH, Constants.EC_POINT_LENGTH);
        short k = tlv.valueOffset();
        tlv.finish();
        // the module's long-term key takes part in this ECDH: no point off the curve (invalid-curve attack)
        P256.checkPoint(in, k, Constants.EC_POINT_LENGTH, ram, Transients.WORK);
        Util.arrayCopyNonAtomic(in, k, ram, Transients.EPK_PEER, Constants.EC_POINT_LENGTH);

        crypto.newEphemeral(ram, Transients.EPK_CARD, ram, Transients.WORK);
        crypto.agree(crypto.ePriv, ram, Transients.EPK_PEER, ram, Transients.KDF);
        crypto.clearEphemeral();
        crypto.agree((ECPrivateKey) p.moduleKey.getPrivate(), ram, Transients.EPK_PEER, ram, (short) (Transients.KDF + 32));
        crypto.kdf(ram, Transients.KDF, (short) 64, Constants.KDF_CONTEXT_CENTRAL, ram, Transients.KOUT);
        crypto.sMac.setKey(ram, Transients.KOUT);      // receipt key
        crypto.sEnc.setKey(ram, (short) (Transients.KOUT + 16)); // transaction key, stored on CONFIRM
        Util.arrayFillNonAtomic(ram, Transients.KOUT, (short) 64, (byte) 0);

        // receipt = CMAC(K_receipt, 5F49 ePK.cs || 5F49 ePK.card)
        short w = Cvc.putHeader(ram, Transients.WORK, Constants.TAG_EPHEMERAL_KEY, Constants.EC_POINT_LENGTH);
        crypto.cmac.init(crypto.sMac);
        crypto.cmac.update(ram, Transients.WORK, (short) (w - Transients.WORK));
        crypto.cmac.update(ram, Transients.EPK_PEER, Constants.EC_POINT_LENGTH);
        crypto.cmac.update(ram, Transients.WORK, (short) (w - Transients.WORK));
        crypto.cmac.sign(ram, Transients.EPK_CARD, Constants.EC_POINT_LENGTH, ram, Transients.RECEIPT);

        byte[] s = io.staging();
        short r = 0;
        r = Cvc.put(s, r, Constants.TAG_EPHEMERAL_KEY, ram, Transients.EPK_CARD, Constants.EC_POINT_LENGTH);
        r = Cvc.put(s, r, Constants.TAG_RECEIPT, ram, Transients.RECEIPT, Constants.MAC_LENGTH);
        r = Util.arrayCopyNonAtomic(p.moduleCert, (short) 0, s, r, p.moduleCertLength);
        session.reached(Transients.CENTRAL_STARTED);
        io.send(apdu, s, (short) 0, r);
    }

    /**
     * CENTRAL CONFIRM. In: 5F37 signature of the central system over 'C' || ePK.cs || ePK.card
     * || receipt, checked with the central key the perso unit certified (claim 4; 6982). Then the
     * agreed transaction key is stored (claim 11) and its counter reset, in one transaction.
     */
    void confirm(byte[] in, short off, short len) {
        session.require(Transients.CENTRAL_STARTED);
        byte[] ram = t.ram;
        tlv.start(in, off, len);
        tlv.expect(Constants.TAG_SIGNATURE, (short) 0, Cvc.ANY_LENGTH);
        short sg = tlv.valueOffset();
        short sgLen = tlv.length();
        tlv.finish();
        ram[Transients.WORK] = Constants.SIG_CONTEXT_CENTRAL;
        crypto.verifyInit(p.centralKey);
        crypto.ecdsa.update(ram, Transients.WORK, (short) 1);
        crypto.ecdsa.update(ram, Transients.EPK_PEER, (short) (2 * Constants.EC_POINT_LENGTH));
        if (!crypto.verify(ram, Transients.RECEIPT, Constants.MAC_LENGTH, in, sg, sgLen)) {
            ISOException.throwIt(Sw.SECURITY_STATUS_NOT_SATISFIED);
        }
        crypto.sEnc.getKey(ram, Transients.KOUT);
        // Key.setKey is not transactional on many cards: drop the flag first (one atomic write), so a
        // tear inside setKey leaves no transaction key rather than a half-written one marked usable
        p.transactionKeySet = false;
        p.transactionKey.setKey(ram, Transients.KOUT);
        JCSystem.beginTransaction();
        p.transactionKeySet = true;
        // arrayCopy, not arrayFillNonAtomic: the counter reset must roll back with the flag (replay)
        Util.arrayCopy(p.zeroCounter, (short) 0, p.transactionCounter, (short) 0, Constants.COUNTER_LENGTH);
        JCSystem.commitTransaction();
        Util.arrayFillNonAtomic(ram, Transients.KOUT, Constants.KEY_LENGTH, (byte) 0);
        session.end();
    }

    /**
     * TRANSACTION. In: counter (4, strictly increasing) || payload || CMAC(K_tx, 'T' || counter ||
     * payload). A wrong MAC and a counter not above the last one (a replay) answer 6982. Out:
     * CMAC(K_tx, 'R' || counter || payload), the module's authenticated receipt.
     */
    void transaction(APDU apdu, byte[] in, short off, short len) {
        if (!p.transactionKeySet) ISOException.throwIt(Sw.SECURITY_STATUS_NOT_SATISFIED);
        short min = (short) (Constants.COUNTER_LENGTH + Constants.MAC_LENGTH);
        if (len < min || len > (short) (min + Constants.MAX_TX_PAYLOAD)) ISOException.throwIt(Sw.WRONG_LENGTH);
        short dataLen = (short) (len - Constants.MAC_LENGTH);
        byte[] ram = t.ram;
        ram[Transients.WORK] = Constants.MAC_CONTEXT_TX;
        crypto.cmac.init(p.transactionKey);
        crypto.cmac.update(ram, Transients.WORK, (short) 1);
        crypto.cmac.sign(in, off, dataLen, ram, (short) (Transients.WORK + 16));
        if (!Bytes.equal(ram, (short) (Transients.WORK + 16), in, (short) (off + dataLen), Constants.MAC_LENGTH)) {
            ISOException.throwIt(Sw.SECURITY_STATUS_NOT_SATISFIED);
        }
        if (!greater(in, off, p.transactionCounter)) ISOException.throwIt(Sw.SECURITY_STATUS_NOT_SATISFIED);
        Util.arrayCopy(in, off, p.transactionCounter, (short) 0, Constants.COUNTER_LENGTH);
        ram[Transients.WORK] = Constants.MAC_CONTEXT_RX;
        crypto.cmac.init(p.transactionKey);
        crypto.cmac.update(ram, Transients.WORK, (short) 1);
        byte[] buf = apdu.getBuffer();
        crypto.cmac.sign(in, off, dataLen, buf, (short) 0);
        io.send(apdu, buf, (short) 0, Constants.MAC_LENGTH);
    }

    /** Unsigned big-endian a[off..off+4) > b[0..4). */
    private static boolean greater(byte[] a, short off, byte[] b) {
        for (short i = 0; i < Constants.COUNTER_LENGTH; i++) {
            short x = (short) (a[(short) (off + i)] & 0xFF);
            short y = (short) (b[i] & 0xFF);
            if (x != y) return x > y;
        }
        return false;
    }
}
