package uicc.toolkit;

/**
 * Builds and sends one proactive command (TS 102 241 clause 6.9; commands per TS 102 223 clause 6).
 * {@link #init} writes Command details and Device identities; the applet appends the other TLVs;
 * {@link #send} returns when the terminal has answered with TERMINAL RESPONSE.
 */
public interface ProactiveHandler extends EditHandler {

    /** Starts a command: type (e.g. PROVIDE LOCAL INFORMATION 26), qualifier, destination device. */
    void init(byte type, byte qualifier, byte dstDevice) throws ToolkitException;

    /** Sends the command (FETCH) and waits for the TERMINAL RESPONSE; returns its general result. */
    byte send() throws ToolkitException;

    /** Bytes that can still be appended. */
    short getCapacity() throws ToolkitException;
}
