package dev.cardsmith.psd;

import dev.cardsmith.applet.psd.PsdProtocol;
import dev.cardsmith.crypto.Hex;
import dev.cardsmith.hsm.Hsm;
import dev.cardsmith.store.OperationJournal;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.CardStatusException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The access server and its HSM (the "first HSM"): initial issuance (claims 1-14, 29-31),
 * post-issuance master key replacement (claims 15-28, 35-37), status and reconciliation.
 * Per-PSD keys exist only as HSM session keys for the duration of one flow and leave the HSM
 * only wrapped for the card (under the transport key, or under the active MK inside SCP03).
 *
 * <p>Store discipline: the store records intent before the card is written and completion
 * after; {@link #reconcile} settles a flow torn between the two by asking the card (its MK
 * version and a card cryptogram proving that MK).
 */
public final class AccessServer {
    private static final Logger LOG = LoggerFactory.getLogger(AccessServer.class);
    public static final byte[] PSD_AID = PsdCard.AID;
    /** SCP03 security level for the replacement: C-MAC, C-DECRYPTION, R-MAC, R-ENCRYPTION. */
    public static final int SECURITY_LEVEL = 0x33;
    static final String SYSTEM = "psd";

    private final Hsm hsm;
    private final PsdStore store;
    private final OperationJournal journal;

    public AccessServer(Hsm hsm, PsdStore store) {
        this.hsm = hsm;
        this.store = store;
        this.journal = new OperationJournal(store.database());
    }

    public PsdStore store() { return store; }

    // ------------------------------------------------------------------ key transfer (claim 16)

    /** The RSA public key the KMS wraps key-transfer keys to (generated in this HSM when missing). */
    public PublicKey keyTransferImportKey() {
        if (!hsm.contains(PsdKeys.KTK_IMPORT)) hsm.generateRsaKeyPair(PsdKeys.KTK_IMPORT, PsdKeys.RSA_BITS);
        return hsm.publicKey(PsdKeys.KTK_IMPORT);
    }

    /** Receives a {@link KeyTransfer}: unwraps the KTK and, under it, what this HSM does not hold yet. */
    public Map<String, Object> importKeys(KeyTransfer t) {
        String ktk = "psd-ktk-" + HexFormat.of().formatHex(hsm.generateRandom(6));
        hsm.unwrapKey(PsdKeys.KTK_IMPORT, t.wrappedKtk(), ktk, Hsm.KeyKind.AES, false);
        Map<String, Object> out = new LinkedHashMap<>();
        try {
            int added = 0;
            for (Map.Entry<Integer, byte[]> e : t.wrappedMkBlocks().entrySet()) {
                String label = PsdKeys.mkBlock(e.getKey());
                if (!hsm.contains(label)) {
                    hsm.unwrapKey(ktk, e.getValue(), label, Hsm.KeyKind.AES, true);
                    added++;
                }
                store.recordBlock("MK", e.getKey(), label);
            }
            out.put("mkBlocks", t.wrappedMkBlocks().size() + " (" + added + " new)");
            if (!hsm.contains(PsdKeys.KRK_BLOCK)) hsm.unwrapKey(ktk, t.wrappedKrkBlock(), PsdKeys.KRK_BLOCK, Hsm.KeyKind.AES, true);
            store.recordBlock("KRK", PsdKeys.KRK_VERSION, PsdKeys.KRK_BLOCK);
            out.put("krkBlock", "v" + PsdKeys.KRK_VERSION);
            if (!hsm.contains(PsdKeys.RSA_PUBLIC)) {
                hsm.importPublicKey(PsdKeys.RSA_PUBLIC, KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(t.publicKey())));
            }
            out.put("publicKey", "present");
            if (t.includesPrivateKey() && !hsm.contains(PsdKeys.RSA_PAIR)) {
                hsm.unwrapKey(ktk, t.wrappedPrivateKey(), PsdKeys.RSA_PAIR, Hsm.KeyKind.RSA_PRIVATE, true);
            }
            out.put("privateKey", hsm.contains(PsdKeys.RSA_PAIR) ? "present" : "absent (issuance only)");
            return out;
        } catch (java.security.GeneralSecurityException e) {
            throw new PsdException("KMS public key is not an RSA key");
        } finally {
            hsm.delete(ktk);
        }
    }

    /** Imports the transport key agreed with the card issuer (key ceremony); default: the development key. */
    public void importTransportKey(byte[] value) {
        try {
            hsm.importAesKey(PsdKeys.TRANSPORT_KEY, value);
        } finally {
            Arrays.fill(value, (byte) 0);
        }
    }

    public int latestMkVersion() {
        int v = 0;
        while (v < 0x7F && hsm.contains(PsdKeys.mkBlock(v + 1))) v++;
        return v;
    }

    // ------------------------------------------------------------------ flows

    public record Outcome(String psdId, String action, int mkVersion, int krkVersion, CardSession.Stats apdus) {}

    public PsdStatus select(CardSession card) {
        return new PsdCard(card).select();
    }

    /**
     * Initial issuance (claim 29): PSD ID → random → KRK = KDF(KRK block, random) → cryptogram =
     * RSA-OAEP(random) stored with the ID → random wiped → MK = KDF(MK block, ID) → INJECT KEYS
     * → card cryptogram check → ISSUED. APDUs after SELECT: INJECT KEYS, INITIALIZE UPDATE.
     */
    public Outcome issue(CardSession card) {
        CardSession.Stats before = card.stats().snapshot();
        PsdStatus st = select(card);
        String id = st.idHex();
        if (st.issued()) {
            Optional<PsdStore.Row> row = store.find(id);
            if (row.isPresent() && row.get().state() == PsdStore.State.ISSUING) {
                ReconcileResult r = reconcile(card);
                return new Outcome(id, "reconciled: " + r.action(), r.cardMkVersion(), st.krkVersion(), card.stats().since(before));
            }
            if (row.isPresent() && row.get().state() == PsdStore.State.ISSUED && !journal.pending(SYSTEM, id).isEmpty()) {
                // a re-run after a stop between the store's completion and the journal's: settle, do not refuse
                finishPending(id, "issue", OperationJournal.State.DONE, "issued (settled by a re-run)");
                return new Outcome(id, "issued (an interrupted issue, settled)", st.mkVersion(), st.krkVersion(), card.stats().since(before));
            }
            throw new PsdException("PSD " + id + " is already issued (injection is accepted once)");
        }
        int mkVersion = latestMkVersion();
        if (mkVersion == 0 || !hsm.contains(PsdKeys.KRK_BLOCK) || !hsm.contains(PsdKeys.RSA_PUBLIC)) {
            throw new PsdException("access server HSM has no PSD key blocks: run `cardsmith kms init` and `cardsmith kms transfer`");
        }
        if (!hsm.contains(PsdKeys.TRANSPORT_KEY)) throw new PsdException("no transport key in the access server HSM: run `cardsmith kms import-transport-key`");
        finishPending(id, "issue", OperationJournal.State.FAILED, "interrupted before the card was written"); // the card is not issued
        String opId = journal.begin(SYSTEM, id, "issue", "mk v" + mkVersion);
        String krk = sessionLabel("krk");
        String mk = sessionLabel("mk");
        try {
            byte[] random = hsm.generateRandom(PsdKeys.RANDOM_LEN);                      // claim 3
            byte[] cryptogram;
            try {
                hsm.deriveAesKey(PsdKeys.KRK_BLOCK, PsdKeys.KRK_LABEL, random, krk);     // claim 4
                cryptogram = hsm.rsaOaepEncrypt(PsdKeys.RSA_PUBLIC, random);             // claim 5
            } finally {
                Arrays.fill(random, (byte) 0);                                         // claim 7
            }
            hsm.deriveAesKey(PsdKeys.mkBlock(mkVersion), PsdKeys.MK_LABEL, st.id(), mk); // claim 11
            byte[] wrappedKrk = hsm.wrapKey(PsdKeys.TRANSPORT_KEY, krk);
            byte[] wrappedMk = hsm.wrapKey(PsdKeys.TRANSPORT_KEY, mk);
            store.recordIssuing(id, Hex.of(cryptogram), PsdKeys.RSA_PAIR, PsdKeys.KRK_VERSION, mkVersion); // claim 6
            PsdCard psd = new PsdCard(card);
            psd.injectKeys(PsdKeys.KRK_VERSION, wrappedKrk, mkVersion, wrappedMk);       // claims 8-14
            psd.initializeUpdate(scp03(mk), mkVersion);                                 // card cryptogram: the MK is in
            store.markIssued(id, mkVersion, "issued");
            journal.finish(opId, OperationJournal.State.DONE, "mk v" + mkVersion);
            LOG.info("PSD {} issued with MK v{}", id, mkVersion);
            return new Outcome(id, "issued", mkVersion, PsdKeys.KRK_VERSION, card.stats().since(before));
        } finally {
            hsm.delete(krk);
            hsm.delete(mk);
        }
    }

    /**
     * Post-issuance replacement (claim 35) to the newest MK block version: PSD ID → stored
     * cryptogram → RSA-OAEP decrypt → random → KRK; new MK = KDF(new MK block, ID); SCP03 with
     * the active MK; UNLOCK by KRK proof; REPLACE MK (delete + install + relock, atomic on the
     * card); channel released. APDUs after SELECT: INITIALIZE UPDATE, EXTERNAL AUTHENTICATE,
     * UNLOCK, REPLACE MK.
     */
    public Outcome replaceMasterKey(CardSession card) {
        CardSession.Stats before = card.stats().snapshot();
        PsdStatus st = select(card);
        String id = st.idHex();
        if (!st.issued()) throw new PsdException("PSD " + id + " is not issued");
        PsdStore.Row row = store.find(id).orElseThrow(() -> new PsdException("PSD " + id + " is not in the store (17: no cryptogram to cross-reference)"));
        if (row.state() != PsdStore.State.ISSUED || row.mkVersion() == null || row.mkVersion() != st.mkVersion()) {
            ReconcileResult r = reconcile(card);
            LOG.info("PSD {}: reconciled before replacement ({})", id, r.action());
            st = select(card);
            row = store.find(id).orElseThrow();
        }
        if (st.executive() == (PsdProtocol.EXEC_BLOCKED & 0xFF)) throw new PsdException("PSD " + id + ": security executive is blocked (KRK retry counter exhausted)");
        int current = st.mkVersion();
        int target = latestMkVersion();
        if (target <= current) throw new PsdException("PSD " + id + " already has MK v" + current + "; the KMS must generate a new MK block first (`cardsmith kms rotate-mk` + `kms transfer`)");
        if (!hsm.contains(PsdKeys.RSA_PAIR)) throw new PsdException("no KMS private key in the access server HSM: run `cardsmith kms transfer --with-private-key`");
        String opId = journal.begin(SYSTEM, id, "replace-mk", "v" + current + " -> v" + target);
        String krk = sessionLabel("krk");
        String oldMk = sessionLabel("mk-old");
        String newMk = sessionLabel("mk-new");
        try {
            byte[] random = hsm.rsaOaepDecrypt(row.rsaKeyLabel(), Hex.parse(row.cryptogramHex())); // claims 17-19
            try {
                hsm.deriveAesKey(PsdKeys.KRK_BLOCK, PsdKeys.KRK_LABEL, random, krk);              // claim 20
            } finally {
                Arrays.fill(random, (byte) 0);
            }
            hsm.deriveAesKey(PsdKeys.mkBlock(current), PsdKeys.MK_LABEL, st.id(), oldMk);
            hsm.deriveAesKey(PsdKeys.mkBlock(target), PsdKeys.MK_LABEL, st.id(), newMk);          // claim 21
            int confirmed;
            try (PsdCard.Secured psd = new PsdCard(card).openSecureChannel(scp03(oldMk), current, SECURITY_LEVEL)) {
                byte[] proof = hsm.aesCmac(krk, PsdApdus.unlockProofInput(psd.context()));       // claim 22: KRK proof, KRK stays in the HSM
                psd.unlock(proof);                                                               // claim 23
                byte[] wrappedNew = hsm.wrapKey(oldMk, newMk);
                store.markReplacing(id, target);
                confirmed = psd.replaceMk(target, wrappedNew);                                   // claims 24-26
            }                                                                                    // channel released
            if (confirmed != target) throw new PsdException("PSD " + id + " confirmed an unexpected MK version");
            store.markIssued(id, target, "replaced");
            journal.finish(opId, OperationJournal.State.DONE, "v" + target);
            LOG.info("PSD {}: MK v{} -> v{}", id, current, target);
            return new Outcome(id, "replaced v" + current + " -> v" + target, target, st.krkVersion(), card.stats().since(before));
        } finally {
            hsm.delete(krk);
            hsm.delete(oldMk);
            hsm.delete(newMk);
        }
    }

    /** SCP03 state keyed by the MK in {@code mkLabel}: the CMACs run inside the HSM. */
    private Scp03 scp03(String mkLabel) {
        return new Scp03(d -> hsm.aesCmac(mkLabel, d));
    }

    /**
     * Opens an SCP03 session with the MK of {@code version} (diversified for the selected PSD)
     * and returns its state, for tests that build protected commands by hand (replays, wrong
     * order); flows use {@link PsdCard#openSecureChannel}, which wraps the channel.
     */
    public Scp03 openSecureChannel(CardSession card, PsdStatus st, int version, int level) {
        String mk = sessionLabel("mk");
        try {
            hsm.deriveAesKey(PsdKeys.mkBlock(version), PsdKeys.MK_LABEL, st.id(), mk);
            return new PsdCard(card).openSecureChannel(scp03(mk), version, level).channel().session();
        } finally {
            hsm.delete(mk);
        }
    }

    /** Whether MK {@code version} is the card's working MK: INITIALIZE UPDATE + card cryptogram. */
    public boolean mkWorks(CardSession card, PsdStatus st, int version) {
        if (version < 1 || !hsm.contains(PsdKeys.mkBlock(version))) return false;
        String mk = sessionLabel("mk");
        try {
            hsm.deriveAesKey(PsdKeys.mkBlock(version), PsdKeys.MK_LABEL, st.id(), mk);
            Scp03 sc = scp03(mk).expectKeyVersion(version);
            try {
                return new PsdCard(card).initializeUpdate(sc, 0).keyVersion() == version;
            } catch (Scp03.Scp03Exception | CardStatusException e) {
                return false;
            }
        } finally {
            hsm.delete(mk);
        }
    }

    public record ReconcileResult(String psdId, String action, int cardMkVersion, Integer storeMkVersion) {}

    /**
     * Settles a flow interrupted between card and store: asks the card which MK it holds
     * (version in the status, proven by a card cryptogram) and makes the store agree.
     */
    public ReconcileResult reconcile(CardSession card) {
        PsdStatus st = select(card);
        String id = st.idHex();
        Optional<PsdStore.Row> maybe = store.find(id);
        if (maybe.isEmpty()) {
            if (st.issued()) throw new PsdException("PSD " + id + " is issued but unknown to this store");
            return new ReconcileResult(id, "not issued", 0, null);
        }
        PsdStore.Row row = maybe.get();
        String action;
        if (!st.issued()) {
            if (row.state() != PsdStore.State.ISSUING) throw new PsdException("store says PSD " + id + " is issued but the card is not");
            store.deleteIssuing(id);
            action = "issuance never reached the card; store cleared, run issue again";
            finishPending(id, "issue", OperationJournal.State.FAILED, action);
            return new ReconcileResult(id, action, 0, null);
        }
        int cardVersion = st.mkVersion();
        if (!mkWorks(card, st, cardVersion)) {
            throw new PsdException("PSD " + id + ": the card's MK v" + cardVersion + " does not match this access server's key blocks");
        }
        switch (row.state()) {
            case ISSUING -> {
                store.markIssued(id, cardVersion, "reconciled-issued");
                action = "issuance completed on the card; store marked issued";
                finishPending(id, "issue", OperationJournal.State.DONE, action);
            }
            case REPLACING -> {
                if (row.pendingMkVersion() != null && cardVersion == row.pendingMkVersion()) {
                    store.markIssued(id, cardVersion, "reconciled-replaced");
                    action = "replacement committed on the card; store updated to v" + cardVersion;
                    finishPending(id, "replace-mk", OperationJournal.State.DONE, action);
                } else if (row.mkVersion() != null && cardVersion == row.mkVersion()) {
                    store.markIssued(id, cardVersion, "reconciled-kept");
                    action = "replacement never committed on the card; old MK v" + cardVersion + " kept";
                    finishPending(id, "replace-mk", OperationJournal.State.FAILED, action);
                } else {
                    throw new PsdException("PSD " + id + ": card MK v" + cardVersion + " is neither the stored nor the pending version");
                }
            }
            default -> {
                if (row.mkVersion() == null || row.mkVersion() != cardVersion) {
                    throw new PsdException("PSD " + id + ": card MK v" + cardVersion + " disagrees with the store (v" + row.mkVersion() + ")");
                }
                action = "consistent";
                finishPending(id, "replace-mk", OperationJournal.State.FAILED, "interrupted before the card was written");
            }
        }
        LOG.info("PSD {} reconciled: {}", id, action);
        return new ReconcileResult(id, action, cardVersion, store.find(id).map(PsdStore.Row::mkVersion).orElse(null));
    }

    private void finishPending(String id, String operation, OperationJournal.State state, String detail) {
        for (OperationJournal.Entry e : journal.pending(SYSTEM, id)) {
            if (e.operation().equals(operation) || state == OperationJournal.State.DONE) journal.finish(e.id(), state, detail);
            else journal.finish(e.id(), OperationJournal.State.FAILED, detail);
        }
    }

    /**
     * The KRK proof for UNLOCK in the session with {@code sessionContext} (host || card
     * challenge): the stored cryptogram is opened and the KRK derived and used inside the HSM.
     */
    public byte[] unlockProof(PsdStatus st, byte[] sessionContext) {
        PsdStore.Row row = store.find(st.idHex()).orElseThrow(() -> new PsdException("PSD " + st.idHex() + " is not in the store"));
        String krk = sessionLabel("krk");
        try {
            byte[] random = hsm.rsaOaepDecrypt(row.rsaKeyLabel(), Hex.parse(row.cryptogramHex()));
            try {
                hsm.deriveAesKey(PsdKeys.KRK_BLOCK, PsdKeys.KRK_LABEL, random, krk);
            } finally {
                Arrays.fill(random, (byte) 0);
            }
            return hsm.aesCmac(krk, PsdApdus.unlockProofInput(sessionContext));
        } finally {
            hsm.delete(krk);
        }
    }

    /** Card and store side by side (no secrets). */
    public Map<String, Object> status(CardSession card) {
        PsdStatus st = select(card);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("psdId", st.idHex());
        m.put("state", st.stateName());
        m.put("executive", st.executiveName());
        m.put("mkVersion", st.mkVersion());
        m.put("krkVersion", st.krkVersion());
        m.put("krkTriesLeft", st.krkTriesLeft());
        Optional<PsdStore.Row> row = store.find(st.idHex());
        Map<String, Object> s = new LinkedHashMap<>();
        if (row.isPresent()) {
            s.put("state", row.get().state().name());
            s.put("mkVersion", row.get().mkVersion());
            s.put("pendingMkVersion", row.get().pendingMkVersion());
            s.put("cryptogramBytes", row.get().cryptogramHex().length() / 2);
        } else {
            s.put("state", "UNKNOWN");
        }
        m.put("store", s);
        m.put("latestMkBlock", latestMkVersion());
        return m;
    }

    private String sessionLabel(String what) {
        return "psd-session-" + what + "-" + HexFormat.of().formatHex(hsm.generateRandom(6));
    }
}
