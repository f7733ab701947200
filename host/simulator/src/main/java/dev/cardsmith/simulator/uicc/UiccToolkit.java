package dev.cardsmith.simulator.uicc;

import com.licel.jcardsim.base.SimulatorRuntime;
import com.licel.jcardsim.base.SimulatorSystem;
import javacard.framework.AID;
import javacard.framework.Applet;
import javacard.framework.Shareable;
import uicc.toolkit.ToolkitConstants;
import uicc.toolkit.ToolkitException;
import uicc.toolkit.ToolkitInterface;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The CAT Runtime Environment of one simulated UICC (ETSI TS 102 241 over jCardSim): the toolkit
 * registry, the four handlers, and the class-80 CAT commands of TS 102 221 10.1.2 that the card's
 * OS answers itself, whatever applet is selected:
 * <ul>
 * <li>TERMINAL PROFILE (80 10): EVENT_PROFILE_DOWNLOAD to registered applets;</li>
 * <li>ENVELOPE (80 C2) with D1 SMS-PP download: reassembly of concatenated messages, dispatch by
 * the TAR of the command packet (TS 102 225 5.1.1) to the applet registered with that TAR for
 * EVENT_UNFORMATTED_SMS_PP_ENV, response data from the EnvelopeResponseHandler;</li>
 * <li>FETCH (80 12) / TERMINAL RESPONSE (80 14) for the applet's proactive commands, announced
 * by 91 xx (TS 102 221 7.4.2.2); a new ENVELOPE while one is pending gets 93 00.</li>
 * </ul>
 * Every other APDU goes to jCardSim unchanged. One instance per card; any number of cards run in
 * parallel in one JVM. docs/uicc-toolkit.md lists the formats and the clause of each behaviour.
 */
public final class UiccToolkit {

    private static final Logger LOG = LoggerFactory.getLogger(UiccToolkit.class);

    static final short EVENT_PROFILE_DOWNLOAD = ToolkitConstants.EVENT_PROFILE_DOWNLOAD;
    static final short EVENT_UNFORMATTED_SMS_PP_ENV = uicc.usim.toolkit.ToolkitConstants.EVENT_UNFORMATTED_SMS_PP_ENV;

    public static final byte CLA_CAT = (byte) 0x80;
    public static final byte INS_TERMINAL_PROFILE = (byte) 0x10;
    public static final byte INS_FETCH = (byte) 0x12;
    public static final byte INS_TERMINAL_RESPONSE = (byte) 0x14;
    public static final byte INS_ENVELOPE = (byte) 0xC2;
    /** TS 102 221 10.2.1.1: normal ending, xx bytes of proactive command pending. */
    public static final int SW1_PROACTIVE_PENDING = 0x91;
    /** TS 102 221 10.2.1.2: SIM Application Toolkit busy, the command cannot be processed now. */
    public static final int SW_TOOLKIT_BUSY = 0x9300;
    /** TS 31.115 / TS 102 225 5.2.2 response status "TAR unknown". */
    static final byte POR_TAR_UNKNOWN = 0x09;

    private final SimulatorRuntime runtime;
    /** By AID bytes (hex): jCardSim's AID has equals but no matching hashCode. */
    private final Map<String, RegistryEntry> registry = new LinkedHashMap<>();
    private final SmsPpDownload sms = new SmsPpDownload();
    private final ProactiveSession session = new ProactiveSession(this);
    private final Handlers.Envelope envelope = new Handlers.Envelope();
    private final Handlers.EnvelopeResponse envelopeResponse = new Handlers.EnvelopeResponse();
    private final Handlers.Proactive proactive = new Handlers.Proactive(session);
    private final Handlers.ProactiveResponse proactiveResponse = new Handlers.ProactiveResponse();
    private AID current;
    private byte[] terminalProfile;

    /** The runtime of a jCardSim card (CardSimulator's own, or a subclass such as the rollback runtime). */
    public UiccToolkit(SimulatorRuntime runtime) {
        this.runtime = runtime;
        ApiBinding.ensureInstalled();
    }

    /** The SimulatorRuntime inside a jCardSim Simulator. */
    public static SimulatorRuntime runtimeOf(com.licel.jcardsim.base.Simulator sim) {
        try {
            java.lang.reflect.Field f = com.licel.jcardsim.base.Simulator.class.getDeclaredField("runtime");
            f.setAccessible(true);
            return (SimulatorRuntime) f.get(sim);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("jCardSim without a runtime field", e);
        }
    }

    // ------------------------------------------------------------------ install

    /**
     * Installs an applet with its toolkit parameters (the 'CA' field, TS 102 226 8.2.1.3.2.2.1;
     * null for an applet that is no toolkit applet): while install runs, ToolkitRegistrySystem
     * .getEntry() gives the applet its entry.
     */
    public void install(AID aid, byte[] toolkitParams, Runnable install) {
        List<byte[]> tars = toolkitParams == null ? List.of() : ToolkitParams.parse(toolkitParams).tars();
        RegistryEntry entry = new RegistryEntry(aid, tars);
        registry.put(key(aid), entry);
        withCard(aid, install);
    }

    /** The TARs an installed applet was given (empty when none). */
    public List<byte[]> tars(AID aid) {
        RegistryEntry e = registry.get(key(aid));
        return e == null ? List.of() : List.copyOf(e.tars);
    }

    // ------------------------------------------------------------------ APDUs

    /** One APDU: the CAT commands here, everything else to the card (jCardSim's transmitCommand). */
    public byte[] transmit(byte[] apdu, UnaryOperator<byte[]> card) {
        if (apdu.length >= 4 && apdu[0] == CLA_CAT && catReachesRuntime()) {
            switch (apdu[1]) {
                case INS_ENVELOPE: return withCardResult(() -> envelope(apdu));
                case INS_TERMINAL_PROFILE: return withCardResult(() -> terminalProfile(apdu));
                case INS_FETCH: return withCardResult(() -> fetch(apdu));
                case INS_TERMINAL_RESPONSE: return withCardResult(() -> terminalResponse(apdu));
                default: break;
            }
        }
        return withCardResult(() -> card.apply(apdu));
    }

    /**
     * A jCardSim card also hosts applets that are no UICC applets and use class 80 INS 10/12/14
     * themselves (the module applet): while one of them is selected on the basic channel its
     * commands reach it. With nothing selected, or a toolkit applet, the runtime answers them as a
     * UICC does (docs/uicc-toolkit.md, "Deviations").
     */
    private boolean catReachesRuntime() {
        AID selected = runtime.getAID();
        if (selected == null) return true;
        RegistryEntry e = registry.get(key(selected));
        return e == null || e.toolkitApplet();
    }

    /** Power loss / reset: a waiting applet is unwound, partial messages and the terminal profile are gone. */
    public void reset() {
        session.abort();
        sms.reset();
        terminalProfile = null;
    }

    /** The last TERMINAL PROFILE (null before the first). */
    public byte[] terminalProfile() {
        return terminalProfile == null ? null : terminalProfile.clone();
    }

    /** Command data of a short case-3/4 APDU, or null when Lc does not match. */
    private static byte[] data(byte[] apdu) {
        if (apdu.length < 6) return null;
        int lc = apdu[4] & 0xFF;
        if (lc == 0 || (apdu.length != 5 + lc && apdu.length != 6 + lc)) return null;
        return Arrays.copyOfRange(apdu, 5, 5 + lc);
    }

    private byte[] envelope(byte[] apdu) {
        if (apdu[2] != 0 || apdu[3] != 0) return sw(0x6A86);
        byte[] data = data(apdu);
        if (data == null) return sw(0x6700);
        if (session.busy()) return sw(SW_TOOLKIT_BUSY);
        byte[] value = BerTlv.unwrap(ToolkitConstants.BTAG_SMS_PP_DOWNLOAD, data);
        if (value == null) return sw(0x6A80); // only SMS-PP download is modelled (docs/uicc-toolkit.md)
        SmsPpDownload.Delivery d;
        try {
            d = sms.receive(value);
        } catch (SmsPpDownload.Malformed e) {
            LOG.debug("ENVELOPE refused: {}", e.getMessage());
            return sw(0x6A80);
        }
        if (d == null) return sw(0x9000); // a segment: the terminal acknowledges it, the message is not complete
        List<RegistryEntry> targets = new ArrayList<>();
        for (RegistryEntry e : registry.values()) {
            if (!e.isEventSet(EVENT_UNFORMATTED_SMS_PP_ENV)) continue;
            byte[] tar = d.tar();
            if (d.commandPacket() && (tar == null || !e.hasTar(tar, 0))) continue;
            targets.add(e);
        }
        if (targets.isEmpty()) return d.commandPacket() ? tarUnknown(d) : sw(0x9000);
        envelope.load(ToolkitConstants.BTAG_SMS_PP_DOWNLOAD, d.tlvs(), d.userDataLength());
        return trigger(targets, EVENT_UNFORMATTED_SMS_PP_ENV);
    }

    /**
     * No applet has the TAR: the runtime answers with an unsecured response packet, status 09
     * (TS 102 225 5.2.2), when SPI2 asks for a PoR; the counter field is zero (the command's may
     * be ciphered under keys the runtime does not hold).
     */
    private static byte[] tarUnknown(SmsPpDownload.Delivery d) {
        if ((d.spi2() & 0x03) == 0 || d.tar() == null) return sw(0x9000);
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(new byte[] {0x02, 0x71, 0x00}); // UDHL, IEI 71 response packet identifier, IEDL 0
        o.writeBytes(new byte[] {0x00, 0x0B, 0x0A}); // RPL 11 (RHL octet + header of 10), RHL 10
        o.writeBytes(d.tar());
        o.writeBytes(new byte[5]);                    // CNTR
        o.write(0);                                   // PCNTR
        o.write(POR_TAR_UNKNOWN);
        return withSw(o.toByteArray(), 0x9000);
    }

    private byte[] terminalProfile(byte[] apdu) {
        if (apdu[2] != 0 || apdu[3] != 0) return sw(0x6A86);
        byte[] data = data(apdu);
        if (data == null) return sw(0x6700);
        if (session.busy()) return sw(SW_TOOLKIT_BUSY);
        terminalProfile = data;
        List<RegistryEntry> targets = new ArrayList<>();
        for (RegistryEntry e : registry.values()) if (e.isEventSet(EVENT_PROFILE_DOWNLOAD)) targets.add(e);
        envelope.clear();
        return trigger(targets, EVENT_PROFILE_DOWNLOAD);
    }

    /** Runs processToolkit(event) for each target in turn (one session); answers with the posted data and 90 00 / 91 xx. */
    private byte[] trigger(List<RegistryEntry> targets, short event) {
        envelopeResponse.reset();
        session.start(() -> {
            for (RegistryEntry e : targets) {
                current = e.aid;
                ToolkitContext context = runtime instanceof ToolkitContext c ? c : null;
                if (context != null) context.enterToolkit();
                try {
                    resolve(e).processToolkit(event);
                } catch (ToolkitException | javacard.framework.ISOException ex) {
                    LOG.debug("toolkit applet {} ended event {} with reason {}", e.aid, event, Integer.toHexString(ex.getReason() & 0xFFFF));
                } finally {
                    if (context != null) context.exitToolkit();
                }
            }
        }, () -> envelopeResponse.closed = true);
        if (session.crashed()) return sw(0x6F00); // TS 102 221 10.2.1.5: technical problem (an applet fault)
        return answer(envelopeResponse.posted ? envelopeResponse.bytes() : new byte[0], envelopeResponse.warning);
    }

    private byte[] answer(byte[] data, boolean warning) {
        byte[] pending = session.pending();
        int status = pending != null ? (SW1_PROACTIVE_PENDING << 8) | pending.length : warning ? 0x6200 : 0x9000;
        return withSw(data, status);
    }

    private byte[] fetch(byte[] apdu) {
        if (apdu[2] != 0 || apdu[3] != 0) return sw(0x6A86);
        byte[] cmd = session.fetch();
        if (cmd == null) return sw(0x6985);
        int le = apdu.length == 5 ? apdu[4] & 0xFF : -1;
        if (le > 0 && le != cmd.length) return sw(0x6C00 | cmd.length);
        return withSw(cmd, 0x9000);
    }

    private byte[] terminalResponse(byte[] apdu) {
        if (apdu[2] != 0 || apdu[3] != 0) return sw(0x6A86);
        byte[] data = data(apdu);
        if (data == null) return sw(0x6700);
        byte[] cmd = session.pending();
        if (cmd == null) return sw(0x6985);
        TlvList tr = new TlvList(data.length);
        tr.load(data, 0, data.length);
        byte[] details = new byte[3];
        // TS 102 223 6.8: command details as in the command, device identities, result (mandatory)
        if (!tr.wellFormed() || tr.findTLV(ToolkitConstants.TAG_COMMAND_DETAILS, (byte) 1) == 0 || tr.getValueLength() != 3
                || tr.copyValue((short) 0, details, (short) 0, (short) 3) < 0 || !Arrays.equals(details, 0, 3, cmd, BerTlv.valueOffset(cmd) + 2, BerTlv.valueOffset(cmd) + 5)
                || tr.findTLV(ToolkitConstants.TAG_RESULT, (byte) 1) == 0 || tr.getValueLength() < 1) {
            return sw(0x6A80);
        }
        if (!session.respond(data)) return sw(0x6985);
        if (session.crashed()) return sw(0x6F00);
        return answer(new byte[0], false);
    }

    /** Worker: the TERMINAL RESPONSE becomes the ProactiveResponseHandler's content; the general result for send(). */
    byte terminalResponseArrived(byte[] tr) {
        proactiveResponse.load(tr, 0, tr.length);
        return proactiveResponse.getGeneralResult();
    }

    // ------------------------------------------------------------------ context

    /** Binds the worker thread to this card (jCardSim's runtime and the API proxies). */
    void bindWorker() {
        ApiBinding.CURRENT.set(this);
        try {
            Method m = SimulatorSystem.class.getDeclaredMethod("setCurrentInstance", SimulatorRuntime.class);
            m.setAccessible(true);
            m.invoke(null, runtime);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot bind jCardSim's runtime to the toolkit worker", e);
        }
    }

    private ToolkitInterface resolve(RegistryEntry e) {
        if (e.target == null) {
            Applet a = applet(e.aid);
            Shareable s = a == null ? null : a.getShareableInterfaceObject(null, (byte) 1);
            if (!(s instanceof ToolkitInterface ti)) {
                throw new ToolkitException(ToolkitException.REGISTRY_ERROR);
            }
            e.target = ti;
        }
        return e.target;
    }

    private Applet applet(AID aid) {
        try {
            Method m = SimulatorRuntime.class.getDeclaredMethod("getApplet", AID.class);
            m.setAccessible(true);
            return (Applet) m.invoke(runtime, aid);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot look up applet " + aid, e);
        }
    }

    private void withCard(AID aid, Runnable r) {
        UiccToolkit before = ApiBinding.CURRENT.get();
        AID was = current;
        ApiBinding.CURRENT.set(this);
        current = aid;
        try {
            r.run();
        } finally {
            current = was;
            ApiBinding.CURRENT.set(before);
        }
    }

    private byte[] withCardResult(java.util.function.Supplier<byte[]> s) {
        byte[][] out = new byte[1][];
        withCard(current, () -> out[0] = s.get());
        return out[0];
    }

    // ------------------------------------------------------------------ handler targets (ApiBinding)

    Object registryEntry() {
        AID aid = current != null ? current : runtime.getAID();
        RegistryEntry e = aid == null ? null : registry.get(key(aid));
        if (e == null) throw new ToolkitException(ToolkitException.REGISTRY_ERROR);
        return e;
    }

    Object envelopeHandler() { return envelope; }

    Object envelopeResponseHandler() { return envelopeResponse; }

    Object proactiveHandler() { return proactive; }

    Object proactiveResponseHandler() { return proactiveResponse; }

    private static String key(AID aid) {
        byte[] b = new byte[16];
        return java.util.HexFormat.of().formatHex(b, 0, aid.getBytes(b, (short) 0));
    }

    private static byte[] sw(int sw) {
        return new byte[] {(byte) (sw >> 8), (byte) sw};
    }

    private static byte[] withSw(byte[] data, int sw) {
        byte[] r = Arrays.copyOf(data, data.length + 2);
        r[data.length] = (byte) (sw >> 8);
        r[data.length + 1] = (byte) sw;
        return r;
    }
}
