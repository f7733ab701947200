package dev.cardsmith.transport;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Opens a card from one spec string, the same syntax everywhere a card is named (the card
 * option, the JCA provider's configuration, the test property {@code cardsmith.card}):
 * <ul>
 *   <li>{@code pcsc:NAME} (alias {@code reader:NAME}) - the card in that PC/SC reader;</li>
 *   <li>{@code sim} - a fresh, volatile simulated card; {@code sim:FILE} - a simulated card
 *       saved in FILE (needs the simulator module on the class path);</li>
 *   <li>any other scheme a {@link CardTransportFactory} on the class path registers.</li>
 * </ul>
 */
public final class CardTransports {

    private CardTransports() {}

    /** Throws IllegalArgumentException with a one-line reason when the spec names no card source. */
    public static void validate(String spec) {
        resolve(spec, false);
    }

    public static CardTransport open(String spec) {
        return resolve(spec, true);
    }

    private static CardTransport resolve(String spec, boolean open) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("no card given: use pcsc:READER, sim or sim:FILE");
        }
        String s = spec.trim();
        int colon = s.indexOf(':');
        String scheme = colon < 0 ? s : s.substring(0, colon);
        String arg = colon < 0 ? "" : s.substring(colon + 1);
        if (scheme.equals("pcsc") || scheme.equals("reader")) {
            if (arg.isEmpty()) throw new IllegalArgumentException(scheme + ": needs a reader name");
            return open ? PcscTransport.open(arg) : null;
        }
        List<String> known = new ArrayList<>(List.of("pcsc"));
        for (CardTransportFactory f : ServiceLoader.load(CardTransportFactory.class, CardTransports.class.getClassLoader())) {
            if (f.scheme().equals(scheme)) {
                f.validate(arg);
                return open ? f.open(arg) : null;
            }
            known.add(f.scheme());
        }
        throw new IllegalArgumentException("unknown card '" + s + "': use " + String.join(", ", known.stream().map(k -> k + ":...").toList()));
    }
}
