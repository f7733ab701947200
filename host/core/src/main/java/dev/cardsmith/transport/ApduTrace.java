package dev.cardsmith.transport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Traces APDU headers and status words. Data fields are never written out, only their
 * length: command data may hold keys, responses may hold backups or signatures.
 */
public interface ApduTrace {

    ApduTrace OFF = new ApduTrace() {
        @Override public void command(byte[] apdu) {}
        @Override public void response(byte[] resp) {}
        @Override public void note(String text) {}
    };

    void command(byte[] apdu);

    void response(byte[] resp);

    void note(String text);

    /** A trace to the SLF4J logger {@code cardsmith.apdu} at INFO. */
    static ApduTrace slf4j() {
        Logger log = LoggerFactory.getLogger("cardsmith.apdu");
        return new ApduTrace() {
            @Override public void command(byte[] apdu) { log.info(">> {}", redactCommand(apdu)); }
            @Override public void response(byte[] resp) { log.info("<< {}", redactResponse(resp)); }
            @Override public void note(String text) { log.info("-- {}", text); }
        };
    }

    /** "80 10 00 00 Lc=42 [data redacted] Le=00" */
    static String redactCommand(byte[] a) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(4, a.length); i++) sb.append(String.format("%02X ", a[i]));
        if (a.length > 4) {
            javax.smartcardio.CommandAPDU c = new javax.smartcardio.CommandAPDU(a);
            if (c.getNc() > 0) sb.append("Lc=").append(c.getNc()).append(" [data redacted] ");
            if (c.getNe() > 0) sb.append("Le=").append(c.getNe());
        }
        return sb.toString().trim();
    }

    /** "9000 [64 bytes]" */
    static String redactResponse(byte[] r) {
        int n = r.length - 2;
        String sw = String.format("%02X%02X", r[r.length - 2], r[r.length - 1]);
        return n > 0 ? sw + " [" + n + " bytes]" : sw;
    }
}
