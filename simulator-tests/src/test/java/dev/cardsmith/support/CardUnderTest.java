package dev.cardsmith.support;

import dev.cardsmith.crypto.Hex;
import dev.cardsmith.simulator.AppletRegistry;
import dev.cardsmith.simulator.AppletSpec;
import dev.cardsmith.simulator.SimulatorTransport;
import dev.cardsmith.simulator.VpcdTestReader;
import dev.cardsmith.transport.CardTransport;
import dev.cardsmith.transport.CardTransports;
import dev.cardsmith.transport.PcscTransport;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The card-under-test extension: where the end-to-end tests get their cards. Register it with
 * {@link CardTest} (or {@link SimulatorOnly}); a test then asks for a card with
 * {@link #fresh(String...)} (named applets, default install parameters) or
 * {@link #fresh(List)} (other install parameters), and wraps the transport as before.
 *
 * <p>The target is the system property {@value #PROPERTY}, in {@link CardTransports} syntax:
 * <ul>
 *   <li>{@code sim} (the default): every {@code fresh} call is a new in-process jCardSim card
 *       with exactly the applets asked for;</li>
 *   <li>{@code pcsc:NAME} with {@value #CONTROL_PROPERTY}{@code =HOST:PORT}: the reader is CI's
 *       {@link VpcdTestReader} (pcscd + vpcd + a simulated card), which is asked through its
 *       loopback control port to put a fresh card with those applets in the reader before the
 *       PC/SC connection is opened. Connections from the previous fresh card are closed;</li>
 *   <li>{@code pcsc:NAME} alone: a physical card. The run cannot renew it, so a test that asks
 *       for a fresh card is skipped with what the operator must do, unless the operator states
 *       with {@value #FRESH_PROPERTY}{@code =1} that the card was just installed with those
 *       applets; then the first such test of the run gets it and every later one is skipped
 *       (docs/testing.md, "Physical reader").</li>
 * </ul>
 * Tests or classes marked {@link SimulatorOnly} are skipped, with their reason, on any reader.
 */
public final class CardUnderTest implements ExecutionCondition, BeforeAllCallback, AfterAllCallback, BeforeEachCallback {

    public static final String PROPERTY = "cardsmith.card";
    public static final String CONTROL_PROPERTY = "cardsmith.card.control";
    public static final String FRESH_PROPERTY = "cardsmith.card.fresh";
    /** Tag of every {@link CardTest} class: the PC/SC pass runs these. */
    public static final String TAG = "card-under-test";
    public static final String SIMULATOR_ONLY_TAG = "simulator-only";

    enum Kind { SIMULATOR, TEST_READER, PHYSICAL_READER }

    record Target(Kind kind, String spec, String reader, String controlHost, int controlPort) {

        static Target of(String spec, String control) {
            String s = spec == null || spec.isBlank() ? "sim" : spec.trim();
            try {
                CardTransports.validate(s);
            } catch (IllegalArgumentException e) {
                throw new ExtensionConfigurationException("-D" + PROPERTY + "=" + s + ": " + e.getMessage());
            }
            if (s.equals("sim")) return new Target(Kind.SIMULATOR, s, null, null, 0);
            if (!s.startsWith("pcsc:") && !s.startsWith("reader:")) {
                throw new ExtensionConfigurationException("-D" + PROPERTY + "=" + s + ": tests run on 'sim' (a fresh jCardSim card each time) or 'pcsc:READER'");
            }
            String reader = s.substring(s.indexOf(':') + 1);
            if (control == null || control.isBlank()) return new Target(Kind.PHYSICAL_READER, s, reader, null, 0);
            int colon = control.lastIndexOf(':');
            if (colon < 0) throw new ExtensionConfigurationException("-D" + CONTROL_PROPERTY + "=" + control + ": expected HOST:PORT");
            String host = control.substring(0, colon);
            if (!host.equals("127.0.0.1") && !host.equals("localhost")) {
                throw new ExtensionConfigurationException("-D" + CONTROL_PROPERTY + "=" + control + ": the test reader's control port is loopback only");
            }
            return new Target(Kind.TEST_READER, s, reader, host, Integer.parseInt(control.substring(colon + 1)));
        }
    }

    private static Target target;
    private static int active;
    private static String currentTest = "?";
    private static String freshCardUsedBy;
    private static final List<CardTransport> readerCards = new ArrayList<>();

    static synchronized Target target() {
        if (target == null) target = Target.of(System.getProperty(PROPERTY), System.getProperty(CONTROL_PROPERTY));
        return target;
    }

    /** True when cards are in-process jCardSim cards (the default). */
    public static boolean simulator() {
        return target().kind() == Kind.SIMULATOR;
    }

    /** The PC/SC reader the tests run against, or empty on jCardSim. */
    public static Optional<String> reader() {
        return Optional.ofNullable(target().reader());
    }

    /** A card that holds exactly {@code applets} (names of {@link AppletRegistry}; none = all) with their default install parameters. */
    public static CardTransport fresh(String... applets) {
        if (applets.length == 0) return fresh(AppletRegistry.all());
        List<AppletSpec> specs = new ArrayList<>();
        for (String a : applets) specs.add(AppletRegistry.byName(a));
        return fresh(specs);
    }

    /** A card on which nothing ever happened, holding exactly {@code applets} as specified (install parameters included). */
    public static synchronized CardTransport fresh(List<AppletSpec> applets) {
        if (active == 0) {
            throw new IllegalStateException("CardUnderTest.fresh() outside the extension: annotate the test class with @CardTest");
        }
        Target t = target();
        switch (t.kind()) {
            case SIMULATOR:
                return new SimulatorTransport(applets);
            case TEST_READER:
                closeReaderCards();
                VpcdTestReader.requestFresh(t.controlHost(), t.controlPort(), applets);
                return track(PcscTransport.open(t.reader()));
            default:
                if (!"1".equals(System.getProperty(FRESH_PROPERTY))) {
                    Assumptions.abort(currentTest + " needs a card freshly installed with " + describe(applets)
                            + "; a physical card cannot be renewed by the test run. Install it (docs/testing.md, 'Physical reader') and run this test alone: "
                            + "-Dtest=" + currentTest + " -D" + PROPERTY + "=" + t.spec() + " -D" + FRESH_PROPERTY + "=1");
                }
                if (freshCardUsedBy != null) {
                    Assumptions.abort(currentTest + " needs another fresh card (" + describe(applets) + "), but this run's card was used by "
                            + freshCardUsedBy + ": reinstall and run -Dtest=" + currentTest + " alone");
                }
                freshCardUsedBy = currentTest;
                return track(PcscTransport.open(t.reader()));
        }
    }

    /**
     * The in-process jCardSim card itself, for white-box tests ({@link SimulatorOnly}: fuzzing
     * with a persistent-state digest, reflection into applet objects). Only on the simulator target.
     */
    public static synchronized SimulatorTransport simulated(List<AppletSpec> applets) {
        if (active == 0) {
            throw new IllegalStateException("CardUnderTest.simulated() outside the extension: annotate the test class with @SimulatorOnly");
        }
        if (target().kind() != Kind.SIMULATOR) {
            throw new IllegalStateException("CardUnderTest.simulated() needs the jCardSim target; mark the test @SimulatorOnly");
        }
        return new SimulatorTransport(applets);
    }

    /** "vault (install params: none), sim (install params: 0140...)" for the operator's messages. */
    static String describe(List<AppletSpec> applets) {
        return applets.stream().map(a -> a.name() + " (install params: "
                        + (a.installParams() == null || a.installParams().length == 0 ? "none" : Hex.of(a.installParams())) + ")")
                .collect(Collectors.joining(", "));
    }

    private static CardTransport track(CardTransport card) {
        readerCards.add(card);
        return card;
    }

    private static void closeReaderCards() {
        for (CardTransport c : readerCards) c.close();
        readerCards.clear();
    }

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        Optional<SimulatorOnly> only = context.getElement().flatMap(e -> AnnotationSupport.findAnnotation(e, SimulatorOnly.class));
        if (only.isEmpty() || simulator()) return ConditionEvaluationResult.enabled("runs on " + target().spec());
        return ConditionEvaluationResult.disabled("simulator-only on " + target().spec() + ": " + only.get().value());
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        synchronized (CardUnderTest.class) {
            active++;
            currentTest = context.getRequiredTestClass().getSimpleName();
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        synchronized (CardUnderTest.class) {
            currentTest = context.getRequiredTestClass().getSimpleName() + "#" + context.getRequiredTestMethod().getName();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        synchronized (CardUnderTest.class) {
            active--;
            if (active == 0) closeReaderCards();
        }
    }
}
