package dev.cardsmith.transport;

import javax.smartcardio.CommandAPDU;
import javax.smartcardio.ResponseAPDU;
import java.util.Arrays;

/**
 * One logical command in, one logical response out: the shape every card conversation in
 * cardsmith has. {@link CardSession} is the channel on the wire (chaining, GET RESPONSE,
 * counters); secure channels are wrappers around another channel in the style of
 * GlobalPlatformPro's SecureChannelWrapper: a caller hands them a plain command and gets the
 * verified, decrypted answer back, so protection is never repeated at call sites. A channel
 * may also be an untrusted pipe ({@link ApduRelay}); whatever must be protected is protected
 * by a secure channel running inside it, end to end.
 */
@FunctionalInterface
public interface ApduChannel {

    /** Sends one logical command (any length) and returns the complete logical response. */
    ResponseAPDU transmit(CommandAPDU command);

    /** Whether commands may use ISO extended length on this channel (else long data is chained). */
    default boolean extendedLength() { return false; }

    /** Sends one command and expects 9000; throws {@link CardStatusException} otherwise. */
    default ResponseAPDU transmitOk(String operation, CommandAPDU command) {
        ResponseAPDU r = transmit(command);
        if (r.getSW() != StatusWords.SW_OK) throw new CardStatusException(operation, r.getSW());
        return r;
    }

    /** {@code r}'s status word after new data: what a wrapper returns once it has unwrapped {@code r}. */
    static ResponseAPDU withData(ResponseAPDU r, byte[] data) {
        byte[] out = Arrays.copyOf(data, data.length + 2);
        out[data.length] = (byte) r.getSW1();
        out[data.length + 1] = (byte) r.getSW2();
        return new ResponseAPDU(out);
    }

    /** SELECT by AID (ISO 7816-4, P1=04 P2=00); throws unless 9000. Returns the FCI/response data. */
    default byte[] select(byte[] aid) {
        return transmitOk("SELECT", new CommandAPDU(0x00, 0xA4, 0x04, 0x00, aid, 256)).getData();
    }
}
