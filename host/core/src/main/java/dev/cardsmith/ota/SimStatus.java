package dev.cardsmith.ota;

import dev.cardsmith.applet.sim.Constants;

import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.Map;

/** The sim applet's STATUS response and event record (Fig. 1 step 28: the SIM's report to the network). */
public record SimStatus(int state, int keyType, int generation, int flags, LocalDate expiry, LocalDate cardDate,
                        int failCount, int licenses, Event event) {

    public record Event(int type, int generation, LocalDate date, int seq) {
        public static Event parse(byte[] d, int off) {
            if ((d[off] & 0xFF) != (Constants.TAG_EVENT & 0xFF) || d[off + 1] != 6) throw new IllegalArgumentException("not an event record");
            return new Event(d[off + 2] & 0xFF, d[off + 3] & 0xFF, OtaDates.ofDay(s(d, off + 4)), s(d, off + 6));
        }

        public String typeName() { return eventName(type); }
    }

    public static SimStatus parse(byte[] d) {
        if (d.length != 18) throw new IllegalArgumentException("STATUS response must be 18 bytes, got " + d.length);
        return new SimStatus(d[0] & 0xFF, d[1] & 0xFF, d[2] & 0xFF, d[3] & 0xFF, OtaDates.ofDay(s(d, 4)), OtaDates.ofDay(s(d, 6)),
                d[8] & 0xFF, d[9] & 0xFF, Event.parse(d, 10));
    }

    static int s(byte[] d, int o) { return ((d[o] & 0xFF) << 8) | (d[o + 1] & 0xFF); }

    public static String stateName(int s) {
        return switch (s) {
            case Constants.STATE_EMPTY -> "EMPTY";
            case Constants.STATE_INITIALIZED -> "INITIALIZED";
            case Constants.STATE_TRUSTED -> "TRUSTED";
            case Constants.STATE_REVOKED -> "REVOKED";
            default -> "UNKNOWN(" + s + ")";
        };
    }

    public static String eventName(int t) {
        return switch (t) {
            case Constants.EVENT_NONE -> "NONE";
            case Constants.EVENT_TRUST_ACK -> "TRUST_ACK";
            case Constants.EVENT_REVOKED_BY_SIM -> "REVOKED_BY_SIM";
            case Constants.EVENT_REVOKED_BY_NETWORK -> "REVOKED_BY_NETWORK";
            case Constants.EVENT_REVOKED_BY_TERMINAL -> "REVOKED_BY_TERMINAL";
            case Constants.EVENT_INITIALIZED -> "INITIALIZED";
            default -> "UNKNOWN(" + t + ")";
        };
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("state", stateName(state));
        m.put("keyType", keyType == Constants.KEY_TYPE_EC_P256 ? "EC-P256" : keyType == Constants.KEY_TYPE_AES128 ? "AES-128" : "none");
        m.put("generation", generation);
        m.put("updatePending", (flags & Constants.FLAG_UPDATE_PENDING) != 0);
        m.put("expired", (flags & Constants.FLAG_EXPIRED) != 0);
        m.put("expiry", expiry.toString());
        m.put("cardDate", cardDate.toString());
        m.put("failedAuthentications", failCount);
        m.put("licenses", licenses);
        m.put("lastEvent", event.typeName() + " #" + event.seq() + " gen " + event.generation() + " on " + event.date());
        return m;
    }
}
