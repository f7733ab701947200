package dev.cardsmith.simulator.tear;

/**
 * Thrown inside applet code at the instant the simulated card loses power. An {@link Error}, so
 * that the applets' {@code catch (RuntimeException)} status-word mapping cannot swallow it; after
 * it every persistent write (also in {@code finally} blocks) throws it again, so nothing the
 * applet does while the stack unwinds reaches persistent memory.
 */
public final class PowerLoss extends Error {
    private static final long serialVersionUID = 1L;

    PowerLoss(int afterWrites) {
        super("power lost after persistent write " + afterWrites, null, false, false);
    }
}
