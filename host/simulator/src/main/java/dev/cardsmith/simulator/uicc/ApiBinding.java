package dev.cardsmith.simulator.uicc;

import uicc.toolkit.EnvelopeHandlerSystem;
import uicc.toolkit.EnvelopeResponseHandler;
import uicc.toolkit.EnvelopeResponseHandlerSystem;
import uicc.toolkit.ProactiveHandler;
import uicc.toolkit.ProactiveHandlerSystem;
import uicc.toolkit.ProactiveResponseHandler;
import uicc.toolkit.ProactiveResponseHandlerSystem;
import uicc.toolkit.ToolkitException;
import uicc.toolkit.ToolkitRegistry;
import uicc.toolkit.ToolkitRegistrySystem;
import uicc.usim.toolkit.USATEnvelopeHandler;
import uicc.usim.toolkit.USATEnvelopeHandlerSystem;

import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.function.Function;

/**
 * Connects the uicc.toolkit API classes to the simulated cards. The API's *System classes keep
 * one static object each, as on a card, where there is one runtime; in one JVM with many
 * simulated cards that object is a proxy that forwards every call to the card whose APDU (or
 * toolkit worker) the calling thread is serving ({@link #CURRENT}). Set once per JVM.
 */
final class ApiBinding {

    /** The card the current thread works for: set around install, APDU processing and on the toolkit worker. */
    static final ThreadLocal<UiccToolkit> CURRENT = new ThreadLocal<>();

    private static boolean installed;

    private ApiBinding() {}

    static synchronized void ensureInstalled() {
        if (installed) return;
        set(ToolkitRegistrySystem.class, "entry", proxy(ToolkitRegistry.class, UiccToolkit::registryEntry));
        Object envelope = proxy(USATEnvelopeHandler.class, UiccToolkit::envelopeHandler);
        set(EnvelopeHandlerSystem.class, "handler", envelope);
        set(USATEnvelopeHandlerSystem.class, "handler", envelope);
        set(EnvelopeResponseHandlerSystem.class, "handler", proxy(EnvelopeResponseHandler.class, UiccToolkit::envelopeResponseHandler));
        set(ProactiveHandlerSystem.class, "handler", proxy(ProactiveHandler.class, UiccToolkit::proactiveHandler));
        set(ProactiveResponseHandlerSystem.class, "handler", proxy(ProactiveResponseHandler.class, UiccToolkit::proactiveResponseHandler));
        installed = true;
    }

    private static <T> T proxy(Class<T> type, Function<UiccToolkit, Object> target) {
        Object p = Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (self, m, args) -> {
            UiccToolkit card = CURRENT.get();
            if (card == null) throw new ToolkitException(ToolkitException.HANDLER_NOT_AVAILABLE);
            Object t = target.apply(card);
            try {
                return m.invoke(t, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
        return type.cast(p);
    }

    private static void set(Class<?> owner, String field, Object value) {
        try {
            Field f = owner.getDeclaredField(field);
            f.setAccessible(true);
            f.set(null, value);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("uicc API class " + owner.getName() + " has no field " + field, e);
        }
    }
}
