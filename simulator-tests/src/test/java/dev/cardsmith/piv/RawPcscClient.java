package dev.cardsmith.piv;

import dev.cardsmith.crypto.Hex;
import dev.cardsmith.transport.PcscTransport;
import dev.cardsmith.transport.TransportException;

import java.nio.ByteBuffer;

/**
 * Another program on the PC: its own process (javax.smartcardio shares one connection per reader
 * inside a JVM, so only a second process is a second PC/SC client), sending raw APDUs without
 * any PIN. Prints "started", then one line per APDU: the status word in hex, or "refused" when PC/SC kept the
 * command off the card. {@code java -cp ... dev.cardsmith.piv.RawPcscClient READER HEX...}
 */
public final class RawPcscClient {

    private RawPcscClient() {}

    public static void main(String[] args) {
        System.out.println("started");
        System.out.flush();
        try (PcscTransport t = PcscTransport.open(args[0])) {
            for (int i = 1; i < args.length; i++) {
                try {
                    byte[] r = t.transmit(Hex.parse(args[i]));
                    System.out.println(String.format("%04X", ByteBuffer.wrap(r, r.length - 2, 2).getShort() & 0xFFFF));
                } catch (TransportException e) {
                    System.out.println("refused");
                }
            }
        }
    }
}
