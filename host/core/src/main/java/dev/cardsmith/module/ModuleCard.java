package dev.cardsmith.module;

import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.CardStatusException;

import javax.smartcardio.CommandAPDU;
import javax.smartcardio.ResponseAPDU;

/**
 * The module as a protocol flow sees it: one logical command in, one logical response out. A
 * local reader ({@link #local}) or a card behind the network relay ({@link ApduRelay}); secure
 * messaging runs end to end above this interface, so a relay only sees protected bytes.
 */
@FunctionalInterface
public interface ModuleCard {

    ResponseAPDU transmit(CommandAPDU command);

    /** Whether commands may use ISO extended length (else the transport chains them). */
    default boolean extendedLength() { return false; }

    default byte[] transmitOk(String operation, CommandAPDU command) {
        ResponseAPDU r = transmit(command);
        if (r.getSW() != 0x9000) throw new CardStatusException(operation, r.getSW());
        return r.getData();
    }

    static ModuleCard local(CardSession session, boolean extended) {
        session.extendedLength(extended);
        return new ModuleCard() {
            @Override public ResponseAPDU transmit(CommandAPDU command) { return session.transmit(command); }
            @Override public boolean extendedLength() { return extended; }
        };
    }
}
