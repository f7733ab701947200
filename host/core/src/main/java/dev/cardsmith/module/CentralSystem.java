package dev.cardsmith.module;

import dev.cardsmith.codec.Tlv;
import dev.cardsmith.crypto.EcP256;
import dev.cardsmith.applet.module.Constants;
import dev.cardsmith.crypto.Cmac;
import dev.cardsmith.transport.ApduRelay;
import dev.cardsmith.transport.CardStatusException;
import dev.cardsmith.transport.TransportException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import dev.cardsmith.hsm.Hsm;

import java.security.PublicKey;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;

/**
 * The central system (claims 1, 4, 11, 21). Mutual authentication, GP SCP11b-like: the module
 * proves its certified module key through the static-ephemeral ECDH in the key derivation
 * (receipt), the central system proves its key (certified by the perso unit, claim 5) with an
 * HSM signature over the transcript. The central system's ephemeral ECDH key is an HSM session
 * key; the agreed transaction key (claim 11) is imported into the HSM as a persistent,
 * non-extractable key ({@link #TX_KEY_PREFIX} + module id) and the store keeps its label and the
 * counter that stops replays, so both survive a restart (docs/module.md "Central system").
 * Leaving the operating state needs this system's release authorization ({@link #release}).
 */
public final class CentralSystem {

    private static final Logger LOG = LoggerFactory.getLogger(CentralSystem.class);
    /** HSM label prefix of the agreed transaction keys. */
    public static final String TX_KEY_PREFIX = "module.tx.";

    private final CertificateAuthority ca;

    public CentralSystem(CertificateAuthority ca) {
        this.ca = ca;
    }

    /** Result of an authentication: the module's id and its verified certificate. */
    public record Authenticated(String moduleId, CvCertificate moduleCertificate) {}

    public Authenticated authenticate(ModuleCard card, LocalDate today) {
        String moduleId = null;
        Hsm hsm = ca.hsm();
        String ephLabel = "module.central.eph." + UUID.randomUUID();
        try {
            byte[] ePkCs = EcP256.encode(hsm.generateEcdhKeyPair(ephLabel, false));
            byte[] r = card.centralAuthenticate(ePkCs);
            Tlv.Reader rd = new Tlv.Reader(r, ModuleException::new);
            byte[] ePkCard = rd.expect(Constants.TAG_EPHEMERAL_KEY).value();
            byte[] receipt = rd.expect(Constants.TAG_RECEIPT).value();
            Tlv.Element certEl = rd.expect(Constants.TAG_CV_CERTIFICATE);
            rd.expectEnd();
            CvCertificate moduleCert = CvCertificate.parse(Arrays.copyOfRange(r, certEl.start(), certEl.end()));
            checkModuleChain(moduleCert, today);
            moduleId = moduleCert.chr().substring(2, 11);
            CvCertificate.point(ePkCard); // on the curve, else a ModuleException before the HSM sees it

            byte[] zE = hsm.ecdh(ephLabel, ePkCard);
            byte[] zS = hsm.ecdh(ephLabel, moduleCert.publicPoint());
            hsm.delete(ephLabel);
            SessionKeys.Central k = SessionKeys.central(zE, zS);
            Arrays.fill(zE, (byte) 0);
            Arrays.fill(zS, (byte) 0);
            byte[] expected = Cmac.aes(k.receipt(), Tlv.concat(Tlv.of(Constants.TAG_EPHEMERAL_KEY, ePkCs), Tlv.of(Constants.TAG_EPHEMERAL_KEY, ePkCard)));
            Arrays.fill(k.receipt(), (byte) 0);
            if (!fullMac(expected, receipt)) throw new ModuleException("module " + moduleId + " failed key confirmation (receipt)");

            byte[] transcript = Tlv.concat(new byte[]{Constants.SIG_CONTEXT_CENTRAL}, ePkCs, ePkCard, receipt);
            byte[] sig = hsm.signSha256WithEcdsa(CertificateAuthority.CENTRAL_LABEL, transcript);
            card.centralConfirm(sig);
            storeTransactionKey(moduleId, k.transaction());
            ca.store().recordSession(moduleId, "CENTRAL_AUTH", true, null, moduleCert.chr());
            LOG.info("authenticated module {} ({})", moduleId, moduleCert.chr());
            return new Authenticated(moduleId, moduleCert);
        } catch (ModuleException | CardStatusException | TransportException e) {
            ca.store().recordSession(moduleId, "CENTRAL_AUTH", false, null, e.getMessage());
            throw e;
        } finally {
            if (hsm.contains(ephLabel)) hsm.delete(ephLabel);
        }
    }

    /** The module stored the key on CENTRAL CONFIRM: into the HSM (replacing the earlier one), the counter to 0. */
    private void storeTransactionKey(String moduleId, byte[] key) {
        String label = TX_KEY_PREFIX + moduleId;
        try {
            if (ca.hsm().contains(label)) ca.hsm().delete(label);
            ca.hsm().importAesKey(label, key);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
        ca.store().saveCentralKey(moduleId, label);
    }

    /**
     * Claim 2 with an authorization: releases an operating module back to the personalization
     * state. The module answers RELEASE CHALLENGE with a one-time challenge and its module key;
     * this system releases only a key its perso unit certified (a module certificate for it is in
     * the certificate table) and signs 'E' || challenge || module key with the central key (HSM).
     * The module erases its keys; the store and the HSM drop the transaction key. Returns the module id.
     */
    public String release(ModuleCard card) {
        String moduleId = null;
        try {
            ModuleApdus.ReleaseChallenge rc = card.releaseChallenge();
            CvCertificate mc = ca.store().moduleCertificateForKey(rc.modulePoint())
                    .orElseThrow(() -> new ModuleException("the module's key was not certified by this system's perso unit"));
            moduleId = mc.chr().substring(2, 11);
            byte[] sig = ca.hsm().signSha256WithEcdsa(CertificateAuthority.CENTRAL_LABEL,
                    ModuleApdus.releaseTranscript(rc.challenge(), rc.modulePoint()));
            card.enterPersonalization(sig);
            forget(moduleId);
            ca.store().reset(moduleId);
            ca.store().recordSession(moduleId, "RELEASE", true, null, mc.chr());
            LOG.info("released module {} ({}) to personalization", moduleId, mc.chr());
            return moduleId;
        } catch (ModuleException | CardStatusException | TransportException e) {
            ca.store().recordSession(moduleId, "RELEASE", false, null, e.getMessage());
            throw e;
        }
    }

    /** Drops the transaction key agreed with a module (HSM and store). */
    private void forget(String moduleId) {
        ca.store().centralKey(moduleId).ifPresent(k -> {
            if (ca.hsm().contains(k.label())) ca.hsm().delete(k.label());
        });
        ca.store().forgetCentralKey(moduleId);
    }

    /**
     * Claim 1: the certificate is checked: module certificate by the perso unit, whose key is
     * certified by the manufacturer and cross-certified by this central system (claim 6).
     */
    void checkModuleChain(CvCertificate moduleCert, LocalDate today) {
        CvCertificate byCentral = ca.store().latest(CvCertificate.Role.PERSO_UNIT, CertificateAuthority.CENTRAL_CHR, moduleCert.car())
                .orElseThrow(() -> new ModuleException("perso unit " + moduleCert.car() + " is not certified by this central system"));
        byCentral.check(ca.hsm().publicKey(CertificateAuthority.CENTRAL_LABEL), CertificateAuthority.CENTRAL_CHR, CvCertificate.Role.PERSO_UNIT, today);
        CvCertificate byManufacturer = ca.store().latest(CvCertificate.Role.PERSO_UNIT, CertificateAuthority.MANUFACTURER_CHR, moduleCert.car())
                .orElseThrow(() -> new ModuleException("perso unit " + moduleCert.car() + " has no manufacturer certificate"));
        byManufacturer.check(ca.manufacturerKey(), CertificateAuthority.MANUFACTURER_CHR, CvCertificate.Role.PERSO_UNIT, today);
        if (!Arrays.equals(byCentral.publicPoint(), byManufacturer.publicPoint())) throw new ModuleException("perso unit certificates name different keys");
        PublicKey persoKey = byCentral.publicKey();
        moduleCert.check(persoKey, moduleCert.car(), CvCertificate.Role.MODULE, today);
        if (moduleCert.nonce() == null) throw new ModuleException("module certificate carries no nonce");
    }

    /** A transaction under the agreed key (claim 11); returns the module's verified receipt. */
    public byte[] transact(ModuleCard card, String moduleId, byte[] payload) {
        ModuleStore.CentralKey tk = ca.store().centralKey(moduleId)
                .filter(k -> ca.hsm().contains(k.label()))
                .orElseThrow(() -> new ModuleException("no agreed key with module " + moduleId + ": authenticate first"));
        if (payload.length > Constants.MAX_TX_PAYLOAD) throw new ModuleException("transaction payload longer than " + Constants.MAX_TX_PAYLOAD + " bytes");
        long next = tk.counter() + 1;
        byte[] data = transactionData(next, payload);
        byte[] mac = ca.hsm().aesCmac(tk.label(), Tlv.concat(new byte[]{Constants.MAC_CONTEXT_TX}, data));
        byte[] r = card.transaction(Tlv.concat(data, mac));
        ca.store().advanceCentralCounter(moduleId, next);
        byte[] expected = ca.hsm().aesCmac(tk.label(), Tlv.concat(new byte[]{Constants.MAC_CONTEXT_RX}, data));
        if (!fullMac(expected, r)) throw new ModuleException("transaction receipt from module " + moduleId + " does not verify");
        ca.store().recordSession(moduleId, "TRANSACTION", true, null, "counter " + next);
        return r;
    }

    /**
     * The module's receipts are full 16-byte AES-CMACs: Cmac.verify alone accepts any truncation
     * down to one byte, which a relay could guess (1/256) without the key.
     */
    static boolean fullMac(byte[] expected, byte[] received) {
        return received != null && received.length == Constants.MAC_LENGTH && Cmac.verify(expected, received);
    }

    static byte[] transactionData(long counter, byte[] payload) {
        return ByteBuffer.allocate(4 + payload.length).putInt((int) counter).put(payload).array();
    }

    public boolean hasKey(String moduleId) {
        return ca.store().centralKey(moduleId).map(k -> ca.hsm().contains(k.label())).orElse(false);
    }

    /** The counter of the last transaction under the module's current key (0 right after authentication). */
    public long counter(String moduleId) {
        return ca.store().centralKey(moduleId).map(ModuleStore.CentralKey::counter).orElse(0L);
    }

    /**
     * The central system as a network service: authenticates the relayed module, agrees the
     * transaction key and runs one transaction with the HELLO's message as payload; a HELLO with
     * "action": "release" releases the module to the personalization state instead ({@link #release}).
     */
    public ApduRelay.Handler relayHandler(java.util.function.Supplier<LocalDate> today) {
        return (hello, channel) -> {
            ModuleCard card = new ModuleCard(channel);
            if ("release".equals(hello.get("action"))) {
                Map<String, Object> m = new java.util.LinkedHashMap<>();
                m.put("module", release(card));
                m.put("state", "personalization");
                return m;
            }
            Object msg = hello.get("message");
            byte[] payload = (msg == null ? "ping" : msg.toString()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
            Authenticated a = authenticate(card, today.get());
            byte[] receipt = transact(card, a.moduleId(), payload);
            Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("module", a.moduleId());
            m.put("moduleCertificate", a.moduleCertificate().chr());
            m.put("authenticated", true);
            m.put("transactionCounter", counter(a.moduleId()));
            m.put("receipt", java.util.HexFormat.of().formatHex(receipt));
            return m;
        };
    }
}
