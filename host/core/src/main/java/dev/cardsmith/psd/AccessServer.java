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
 * only wrapped for the card: under the transport key at issuance, and at replacement under the
 * replacement KEK = KDF(KRK, host challenge || card challenge) inside SCP03 C-DECRYPTION, so
 * that a holder of the old MK key set who records the session learns nothing of the new one.
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
            for (Map.Entry<Integer, byte[]> e : t.wrappedKrkBlocks().entrySet()) {
                String label = PsdKeys.krkBlock(e.getKey());
                if (!hsm.contains(label)) hsm.unwrapKey(ktk, e.getValue(), label, Hsm.KeyKind.AES, true);
                store.recordBlock("KRK", e.getKey(), label);
            }
            out.put("krkBlocks", "v1..v" + latestKrkVersion());
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

    /** Pins the KMS's transfer signing key (an operator act, once; {@code replace} to re-pin after a KMS key change). */
    public void trustKms(PublicKey kmsSigningKey, boolean replace) {
        store.pinKms(KeyTransferFile.fingerprint(kmsSigningKey), Hex.of(kmsSigningKey.getEncoded()), replace);
    }

    /**
     * Imports a key-transfer file ({@link KeyTransferFile}) after refusing: an unsigned file or
     * one whose signature does not verify under the pinned KMS key (re-signed), one made for
     * another access server's import key, a replayed one (sequence not above every file imported
     * before), and a downgraded one (older format, or older newest MK/KRK versions than this HSM
     * holds). Only then are the keys unwrapped into this HSM ({@link #importKeys}).
     */
    public Map<String, Object> importTransferFile(byte[] file) {
        KeyTransferFile.Parsed p = KeyTransferFile.parse(file);
        if (p.format() != KeyTransferFile.FORMAT) {
            throw new PsdException("key-transfer file format " + p.format() + " refused (this access server takes format " + KeyTransferFile.FORMAT + " only)");
        }
        PublicKey signer;
        try {
            signer = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(Hex.parse(
                    store.pinnedKmsKey().orElseThrow(() -> new PsdException("no KMS signing key pinned: run `cardsmith psd trust-kms` first")))));
        } catch (java.security.GeneralSecurityException e) {
            throw new PsdException("the pinned KMS signing key is not an EC key");
        }
        if (!KeyTransferFile.fingerprint(signer).equals(p.signer()) || !KeyTransferFile.verify(signer, p.signedBytes(), p.signature())) {
            throw new PsdException("key-transfer file is not signed by the pinned KMS key (" + KeyTransferFile.fingerprint(signer) + ")");
        }
        if (!p.recipient().equals(KeyTransferFile.fingerprint(keyTransferImportKey()))) {
            throw new PsdException("key-transfer file was made for another access server's import key");
        }
        long last = store.lastTransferSequence();
        if (p.sequence() <= last) throw new PsdException("key-transfer file #" + p.sequence() + " refused: replayed or out of order (last imported #" + last + ")");
        if (p.mkLatest() != KeyTransferFile.latest(p.transfer().wrappedMkBlocks()) || p.krkLatest() != KeyTransferFile.latest(p.transfer().wrappedKrkBlocks())) {
            throw new PsdException("key-transfer file is inconsistent (declared newest versions differ from its blocks)");
        }
        if (p.mkLatest() < latestMkVersion() || p.krkLatest() < latestKrkVersion()) {
            throw new PsdException("key-transfer file refused as a downgrade: it holds MK v" + p.mkLatest() + "/KRK v" + p.krkLatest()
                    + ", this HSM already MK v" + latestMkVersion() + "/KRK v" + latestKrkVersion());
        }
        Map<String, Object> out = new LinkedHashMap<>(importKeys(p.transfer()));
        store.recordTransfer(p.sequence(), p.signer(), p.mkLatest(), p.krkLatest());
        out.put("transfer", "#" + p.sequence());
        out.put("signer", p.signer());
        LOG.info("key-transfer file #{} imported (MK v{}, KRK v{})", p.sequence(), p.mkLatest(), p.krkLatest());
        return out;
    }

    /**
     * Imports the next version of the transport key agreed with the card issuer (key ceremony;
     * one version per card batch, the newest is used for issuance unless a flow names one);
     * returns its version.
     */
    public int importTransportKey(byte[] value) {
        try {
            int v = latestTransportKeyVersion() + 1;
            if (v > 0x7F) throw new PsdException("transport key versions exhausted (1..127)");
            hsm.importAesKey(PsdKeys.transportKey(v), value);
            LOG.info("transport key v{} imported", v);
            return v;
        } finally {
            Arrays.fill(value, (byte) 0);
        }
    }

    public int latestMkVersion() {
        return PsdKeys.latestVersion(hsm, PsdKeys::mkBlock);
    }

    public int latestKrkVersion() {
        return PsdKeys.latestVersion(hsm, PsdKeys::krkBlock);
    }

    public int latestTransportKeyVersion() {
        return PsdKeys.latestVersion(hsm, PsdKeys::transportKey);
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
        return issue(card, latestTransportKeyVersion());
    }

    /** {@link #issue(CardSession)} for a card of the batch installed with transport key {@code transportKeyVersion}. */
    public Outcome issue(CardSession card, int transportKeyVersion) {
        CardSession.Stats before = card.stats().snapshot();
        return issue(card, select(card), transportKeyVersion, before, false);
    }

    /**
     * The flow's one resume entry (the factory line calls it): issues the PSD, or finishes an
     * interrupted issue (reconcile from the card, or settle the journal), or, when the card and the
     * store both say ISSUED, reports it as done without writing anything (where {@link #issue}
     * refuses a second injection).
     */
    public Outcome issueOrResume(CardSession card) {
        CardSession.Stats before = card.stats().snapshot();
        return issue(card, select(card), latestTransportKeyVersion(), before, true);
    }

    private Outcome issue(CardSession card, PsdStatus st, int transportKeyVersion, CardSession.Stats before, boolean issuedIsDone) {
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
            if (issuedIsDone && row.isPresent() && row.get().state() == PsdStore.State.ISSUED) {
                return new Outcome(id, "already issued", st.mkVersion(), st.krkVersion(), card.stats().since(before));
            }
            throw new PsdException("PSD " + id + " is already issued (injection is accepted once)");
        }
        int mkVersion = latestMkVersion();
        int krkVersion = latestKrkVersion();
        if (mkVersion == 0 || krkVersion == 0 || !hsm.contains(PsdKeys.RSA_PUBLIC)) {
            throw new PsdException("access server HSM has no PSD key blocks: run `cardsmith kms init` and `cardsmith kms transfer`");
        }
        String tk = PsdKeys.transportKey(transportKeyVersion);
        if (transportKeyVersion < 1 || !hsm.contains(tk)) {
            throw new PsdException("no transport key v" + transportKeyVersion + " in the access server HSM: run `cardsmith kms import-transport-key`");
        }
        finishPending(id, "issue", OperationJournal.State.FAILED, "interrupted before the card was written"); // the card is not issued
        String opId = journal.begin(SYSTEM, id, "issue", "mk v" + mkVersion);
        String krk = sessionLabel("krk");
        try (HsmKeySet mk = new HsmKeySet(hsm, PsdKeys.mkBlock(mkVersion), st.id())) {          // claim 11
            byte[] random = hsm.generateRandom(PsdKeys.RANDOM_LEN);                      // claim 3
            byte[] cryptogram;
            try {
                hsm.deriveAesKey(PsdKeys.krkBlock(krkVersion), PsdKeys.KRK_LABEL, random, krk); // claim 4
                cryptogram = hsm.rsaOaepEncrypt(PsdKeys.RSA_PUBLIC, random);             // claim 5
            } finally {
                Arrays.fill(random, (byte) 0);                                         // claim 7
            }
            byte[] wrappedKrk = hsm.wrapKey(tk, krk);
            byte[] wrappedMk = mk.wrapUnder(tk);
            store.recordIssuing(id, Hex.of(cryptogram), PsdKeys.RSA_PAIR, krkVersion, mkVersion); // claim 6
            PsdCard psd = new PsdCard(card);
            psd.injectKeys(krkVersion, wrappedKrk, mkVersion, wrappedMk);                // claims 8-14
            psd.initializeUpdate(mk.scp03(), mkVersion);                                // card cryptogram: the MK is in
            store.markIssued(id, mkVersion, "issued");
            journal.finish(opId, OperationJournal.State.DONE, "mk v" + mkVersion);
            LOG.info("PSD {} issued with MK v{}", id, mkVersion);
            return new Outcome(id, "issued", mkVersion, krkVersion, card.stats().since(before));
        } finally {
            hsm.delete(krk);
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
        Settled s = settle(card, "replacement");
        PsdStatus st = s.st();
        PsdStore.Row row = s.row();
        String id = st.idHex();
        int current = st.mkVersion();
        int target = latestMkVersion();
        if (target <= current) throw new PsdException("PSD " + id + " already has MK v" + current + "; the KMS must generate a new MK block first (`cardsmith kms rotate-mk` + `kms transfer`)");
        String opId = journal.begin(SYSTEM, id, "replace-mk", "v" + current + " -> v" + target);
        String krk = deriveKrk(row);                                                               // claims 17-20
        String kek = sessionLabel("rkek");
        try (HsmKeySet oldMk = new HsmKeySet(hsm, PsdKeys.mkBlock(current), st.id());
             HsmKeySet newMk = new HsmKeySet(hsm, PsdKeys.mkBlock(target), st.id())) {               // claim 21
            int confirmed;
            try (PsdCard.Secured psd = new PsdCard(card).openSecureChannel(oldMk.scp03(), current, SECURITY_LEVEL)) {
                unlockOrRecover(psd, st, krk);                                                   // claims 22-23
                // the new key set travels under a key only the KRK holder derives, new in every session:
                // the old key set (and a recording of this session) opens nothing
                hsm.deriveAesKey(krk, PsdKeys.REPLACE_KEK_LABEL, psd.context(), kek);
                byte[] wrappedNew = newMk.wrapUnder(kek);
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
            if (hsm.contains(kek)) hsm.delete(kek);
        }
    }

    private record Settled(PsdStatus st, PsdStore.Row row) {}

    /**
     * The selected, issued PSD and its store row for a post-issuance flow: reconciled first when
     * the row is not a settled ISSUED row agreeing with the card on the MK and KRK versions; and
     * the KMS private key (claim 17-19: opens the cryptogram) must be here.
     */
    private Settled settle(CardSession card, String flow) {
        PsdStatus st = select(card);
        String id = st.idHex();
        if (!st.issued()) throw new PsdException("PSD " + id + " is not issued");
        PsdStore.Row row = store.find(id).orElseThrow(() -> new PsdException("PSD " + id + " is not in the store (17: no cryptogram to cross-reference)"));
        boolean agrees = row.state() == PsdStore.State.ISSUED && row.mkVersion() != null && row.mkVersion() == st.mkVersion()
                && row.pendingKrkVersion() == null && row.krkVersion() == st.krkVersion();
        if (!agrees) {
            ReconcileResult r = reconcile(card);
            LOG.info("PSD {}: reconciled before {} ({})", id, flow, r.action());
            st = select(card);
            row = store.find(id).orElseThrow();
        }
        if (!hsm.contains(PsdKeys.RSA_PAIR)) throw new PsdException("no KMS private key in the access server HSM: run `cardsmith kms transfer --with-private-key`");
        return new Settled(st, row);
    }

    /**
     * Opens an SCP03 session with the MK of {@code version} (diversified for the selected PSD)
     * and returns its state, for tests that build protected commands by hand (replays, wrong
     * order); flows use {@link PsdCard#openSecureChannel}, which wraps the channel.
     */
    public Scp03 openSecureChannel(CardSession card, PsdStatus st, int version, int level) {
        try (HsmKeySet mk = new HsmKeySet(hsm, PsdKeys.mkBlock(version), st.id())) {
            return new PsdCard(card).openSecureChannel(mk.scp03(), version, level).channel().session();
        }
    }

    /** Whether MK {@code version} is the card's working MK: INITIALIZE UPDATE + card cryptogram. */
    public boolean mkWorks(CardSession card, PsdStatus st, int version) {
        if (version < 1 || !hsm.contains(PsdKeys.mkBlock(version))) return false;
        try (HsmKeySet mk = new HsmKeySet(hsm, PsdKeys.mkBlock(version), st.id())) {
            Scp03 sc = mk.scp03().expectKeyVersion(version);
            try {
                return new PsdCard(card).initializeUpdate(sc, 0).keyVersion() == version;
            } catch (Scp03.Scp03Exception | CardStatusException e) {
                return false;
            }
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
        if (row.pendingKrkVersion() != null) {
            if (st.krkVersion() == row.pendingKrkVersion()) {
                store.markKrkChanged(id, st.krkVersion());
                finishPending(id, "change-krk", OperationJournal.State.DONE, "KRK change committed on the card: krk v" + st.krkVersion());
            } else if (st.krkVersion() == row.krkVersion()) {
                store.clearKrkPending(id, st.krkVersion());
                finishPending(id, "change-krk", OperationJournal.State.FAILED, "KRK change never committed on the card: krk v" + st.krkVersion() + " kept");
            } else {
                throw new PsdException("PSD " + id + ": card KRK v" + st.krkVersion() + " is neither the stored nor the pending version");
            }
            row = store.find(id).orElseThrow();
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
        String krk = deriveKrk(row);
        try {
            return hsm.aesCmac(krk, PsdApdus.unlockProofInput(sessionContext));
        } finally {
            hsm.delete(krk);
        }
    }

    /**
     * The PSD's KRK as an HSM session key (the caller deletes it): the stored cryptogram opened
     * with the KMS private key, the random diversifies the KRK block of the PSD's KRK version and
     * is wiped (claims 17-20).
     */
    private String deriveKrk(PsdStore.Row row) {
        String krk = sessionLabel("krk");
        byte[] random = hsm.rsaOaepDecrypt(row.rsaKeyLabel(), Hex.parse(row.cryptogramHex()));
        try {
            hsm.deriveAesKey(PsdKeys.krkBlock(row.krkVersion()), PsdKeys.KRK_LABEL, random, krk);
        } finally {
            Arrays.fill(random, (byte) 0);
        }
        return krk;
    }

    /**
     * UNLOCK by KRK proof; on a blocked executive RECOVER by KRK recovery proof instead (same
     * round trip): the access server that holds the KRK clears a block that a guesser left, in
     * the very session that then replaces the key the guesser used.
     */
    private void unlockOrRecover(PsdCard.Secured psd, PsdStatus st, String krk) {
        if (st.executive() == (PsdProtocol.EXEC_BLOCKED & 0xFF)) {
            psd.recover(hsm.aesCmac(krk, PsdApdus.recoveryProofInput(psd.context())));
            store.event(st.idHex(), "recovered", "blocked executive unlocked by KRK recovery proof");
            LOG.warn("PSD {}: blocked security executive recovered with the KRK", st.idHex());
        } else {
            psd.unlock(hsm.aesCmac(krk, PsdApdus.unlockProofInput(psd.context())));        // claim 22: KRK proof, KRK stays in the HSM
        }
    }

    /**
     * Moves the PSD to the newest KRK version (issue 12): new random → new KRK = KDF(KRK block
     * vN, random) → new cryptogram recorded as intent → SCP03 with the MK → UNLOCK (or RECOVER)
     * with the current KRK → CHANGE KRK with the new KRK wrapped under the replacement KEK of the
     * current KRK and this session → the store takes the new cryptogram. APDUs after SELECT:
     * INITIALIZE UPDATE, EXTERNAL AUTHENTICATE, UNLOCK, CHANGE KRK.
     */
    public Outcome changeKrk(CardSession card) {
        CardSession.Stats before = card.stats().snapshot();
        Settled s = settle(card, "the KRK change");
        PsdStatus st = s.st();
        PsdStore.Row row = s.row();
        String id = st.idHex();
        int current = st.krkVersion();
        int target = latestKrkVersion();
        if (target <= current) throw new PsdException("PSD " + id + " already has KRK v" + current + "; the KMS must generate a new KRK block first (`cardsmith kms rotate-krk` + transfer)");
        String opId = journal.begin(SYSTEM, id, "change-krk", "krk v" + current + " -> v" + target);
        String krk = deriveKrk(row);
        String newKrk = sessionLabel("krk-new");
        String kek = sessionLabel("rkek");
        try (HsmKeySet mk = new HsmKeySet(hsm, PsdKeys.mkBlock(st.mkVersion()), st.id())) {
            byte[] random = hsm.generateRandom(PsdKeys.RANDOM_LEN);
            byte[] cryptogram;
            try {
                hsm.deriveAesKey(PsdKeys.krkBlock(target), PsdKeys.KRK_LABEL, random, newKrk);
                cryptogram = hsm.rsaOaepEncrypt(PsdKeys.RSA_PUBLIC, random);
            } finally {
                Arrays.fill(random, (byte) 0);
            }
            int confirmed;
            try (PsdCard.Secured psd = new PsdCard(card).openSecureChannel(mk.scp03(), st.mkVersion(), SECURITY_LEVEL)) {
                unlockOrRecover(psd, st, krk);
                hsm.deriveAesKey(krk, PsdKeys.REPLACE_KEK_LABEL, psd.context(), kek);
                byte[] wrapped = hsm.wrapKey(kek, newKrk);
                store.markKrkChanging(id, Hex.of(cryptogram), target);
                confirmed = psd.changeKrk(target, wrapped);
            }
            if (confirmed != target) throw new PsdException("PSD " + id + " confirmed an unexpected KRK version");
            store.markKrkChanged(id, target);
            journal.finish(opId, OperationJournal.State.DONE, "krk v" + target);
            LOG.info("PSD {}: KRK v{} -> v{}", id, current, target);
            return new Outcome(id, "krk v" + current + " -> v" + target, st.mkVersion(), target, card.stats().since(before));
        } finally {
            hsm.delete(krk);
            hsm.delete(newKrk);
            if (hsm.contains(kek)) hsm.delete(kek);
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
