package dev.cardsmith.transport;

/**
 * Not a test: a class that breaks both rules of {@link PackageGuardTest} on purpose (a shared
 * package reaching into a system package, and into javacard), so the guard's scanner can be
 * shown to see what it must refuse. It lives in the test classes, which the guard does not police.
 */
final class PackageGuardProbe {
    private PackageGuardProbe() {}

    static Class<?> reachesIntoASystem() {
        return dev.cardsmith.module.ModuleException.class;
    }

    static java.util.function.Supplier<dev.cardsmith.vault.ChipInfo> reachesThroughASignature() {
        return () -> null;
    }
}
