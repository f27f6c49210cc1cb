// A C# app on Mono calling libImSDK.so through P/Invoke, the way the vendor's
// C# users do: callExperimentalAPI (set_ui_platform), the network-status and
// conversation-event listeners, TIMInit, TIMLogin, three TIMConvCreate calls,
// TIMConvGetConvList, TIMLogout, and no TIMUninit. The process must then end
// promptly: Mono waits at shutdown for threads that called into managed code,
// and the library's callback thread is one of them.
//
//   mono ConvApp.exe        returns from Main (exit code 0 if every check passed)
//   mono ConvApp.exe exit   ends with Environment.Exit instead
//
// Needs only mscorlib. Prints "mono: N passed, M failed".

using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
delegate void TIMCommCallback(int code, IntPtr desc, IntPtr jsonParams, IntPtr userData);

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
delegate void TIMConvEventCallback(int convEvent, IntPtr jsonConvArray, IntPtr userData);

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
delegate void TIMNetworkStatusListenerCallback(int status, int code, IntPtr desc, IntPtr userData);

static class ImSDK
{
    const string Lib = "ImSDK";  // libImSDK.so, found through LD_LIBRARY_PATH

    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    public static extern int callExperimentalAPI(byte[] jsonParam, TIMCommCallback cb, IntPtr userData);

    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    public static extern void TIMSetNetworkStatusListenerCallback(TIMNetworkStatusListenerCallback cb, IntPtr userData);

    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    public static extern void TIMSetConvEventCallback(TIMConvEventCallback cb, IntPtr userData);

    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    public static extern int TIMInit(ulong sdkAppId, byte[] jsonSdkConfig);

    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    public static extern int TIMLogin(byte[] userId, byte[] userSig, TIMCommCallback cb, IntPtr userData);

    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    public static extern int TIMLogout(TIMCommCallback cb, IntPtr userData);

    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    public static extern int TIMConvCreate(byte[] convId, int convType, TIMCommCallback cb, IntPtr userData);

    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    public static extern int TIMConvGetConvList(TIMCommCallback cb, IntPtr userData);
}

struct Reply
{
    public int Code;
    public string Desc;
    public string Json;
    public int ThreadId;
}

static class ConvApp
{
    const int kTIMConv_C2C = 1;
    const int kTIMConv_Group = 2;
    const int kTIMConnected = 0;
    const int kTIMConnecting = 2;
    const int kTIMConvEvent_Add = 0;
    const int TimeoutMs = 10000;

    // The delegates live as long as the program: the library keeps the
    // listener pointers and calls per-call callbacks later.
    static readonly TIMCommCallback OnReplyDelegate = OnReply;
    static readonly TIMConvEventCallback OnConvEventDelegate = OnConvEvent;
    static readonly TIMNetworkStatusListenerCallback OnNetworkDelegate = OnNetwork;

    static readonly object Gate = new object();
    static readonly Dictionary<long, Reply> Replies = new Dictionary<long, Reply>();
    static readonly List<int> NetworkStatuses = new List<int>();
    static readonly List<string> AddedIds = new List<string>();
    static int mainThreadId;
    static int passed;
    static int failed;

    static void Check(bool ok, string what)
    {
        if (ok)
        {
            passed++;
        }
        else
        {
            failed++;
            Console.WriteLine("FAILED: " + what);
        }
    }

    static byte[] Utf8z(string s)
    {
        return Encoding.UTF8.GetBytes(s + "\0");
    }

    static string FromUtf8(IntPtr p)
    {
        if (p == IntPtr.Zero) return null;
        int n = 0;
        while (Marshal.ReadByte(p, n) != 0) n++;
        byte[] bytes = new byte[n];
        Marshal.Copy(p, bytes, 0, n);
        return Encoding.UTF8.GetString(bytes);
    }

    static void OnReply(int code, IntPtr desc, IntPtr jsonParams, IntPtr userData)
    {
        Reply r = new Reply
        {
            Code = code,
            Desc = FromUtf8(desc),
            Json = FromUtf8(jsonParams),
            ThreadId = Thread.CurrentThread.ManagedThreadId,
        };
        lock (Gate)
        {
            Replies[userData.ToInt64()] = r;
            Monitor.PulseAll(Gate);
        }
    }

    static void OnConvEvent(int convEvent, IntPtr jsonConvArray, IntPtr userData)
    {
        string json = FromUtf8(jsonConvArray);
        lock (Gate)
        {
            if (convEvent == kTIMConvEvent_Add) AddedIds.AddRange(ConvIds(json));
            Monitor.PulseAll(Gate);
        }
    }

    static void OnNetwork(int status, int code, IntPtr desc, IntPtr userData)
    {
        lock (Gate)
        {
            NetworkStatuses.Add(status);
            Monitor.PulseAll(Gate);
        }
    }

    // Waits for the reply tagged `tag` (its user_data); false on timeout.
    static bool WaitReply(long tag, out Reply reply)
    {
        DateTime deadline = DateTime.UtcNow.AddMilliseconds(TimeoutMs);
        lock (Gate)
        {
            while (!Replies.TryGetValue(tag, out reply))
            {
                int left = (int)(deadline - DateTime.UtcNow).TotalMilliseconds;
                if (left <= 0) return false;
                Monitor.Wait(Gate, left);
            }
            return true;
        }
    }

    static bool WaitNetwork(int status)
    {
        DateTime deadline = DateTime.UtcNow.AddMilliseconds(TimeoutMs);
        lock (Gate)
        {
            while (!NetworkStatuses.Contains(status))
            {
                int left = (int)(deadline - DateTime.UtcNow).TotalMilliseconds;
                if (left <= 0) return false;
                Monitor.Wait(Gate, left);
            }
            return true;
        }
    }

    static int SkipSpace(string s, int i)
    {
        while (i < s.Length && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
        return i;
    }

    // The values of every "conv_id" key in a JSON text (ids without escapes,
    // as this program's are): enough parsing for this check, no library.
    static List<string> ConvIds(string json)
    {
        List<string> ids = new List<string>();
        if (json == null) return ids;
        const string key = "\"conv_id\"";
        int at = 0;
        while ((at = json.IndexOf(key, at, StringComparison.Ordinal)) >= 0)
        {
            int i = SkipSpace(json, at + key.Length);
            at += key.Length;
            if (i >= json.Length || json[i] != ':') continue;
            i = SkipSpace(json, i + 1);
            if (i >= json.Length || json[i] != '"') continue;
            int end = json.IndexOf('"', i + 1);
            if (end < 0) break;
            ids.Add(json.Substring(i + 1, end - i - 1));
            at = end + 1;
        }
        return ids;
    }

    static int Main(string[] args)
    {
        bool useExit = args.Length > 0 && args[0] == "exit";
        mainThreadId = Thread.CurrentThread.ManagedThreadId;
        Reply r;

        // Before TIMInit, as the vendor's UI kits do.
        int ret = ImSDK.callExperimentalAPI(
            Utf8z("{\"request_internal_operation\":\"internal_operation_set_ui_platform\",\"request_set_ui_platform_param\":27}"),
            OnReplyDelegate, new IntPtr(100));
        Check(ret == 0, "callExperimentalAPI(set_ui_platform) returns 0, got " + ret);
        Check(ret == 0 && WaitReply(100, out r) && r.Code == 0, "set_ui_platform callback with code 0");

        ImSDK.TIMSetNetworkStatusListenerCallback(OnNetworkDelegate, IntPtr.Zero);
        ImSDK.TIMSetConvEventCallback(OnConvEventDelegate, IntPtr.Zero);

        ret = ImSDK.TIMInit(1400000000UL, Utf8z("{}"));
        Check(ret == 0, "TIMInit returns 0, got " + ret);
        Check(WaitNetwork(kTIMConnected), "network status kTIMConnected arrives");
        lock (Gate)
        {
            Check(NetworkStatuses.IndexOf(kTIMConnecting) >= 0 &&
                      NetworkStatuses.IndexOf(kTIMConnecting) < NetworkStatuses.IndexOf(kTIMConnected),
                  "kTIMConnecting before kTIMConnected: [" + string.Join(",", NetworkStatuses) + "]");
        }

        ret = ImSDK.TIMLogin(Utf8z("alice"), Utf8z("sig"), OnReplyDelegate, IntPtr.Zero);
        Check(ret == 0, "TIMLogin returns 0, got " + ret);
        bool got = ret == 0 && WaitReply(0, out r);
        Check(got, "login callback arrives");
        if (got)
        {
            WaitReply(0, out r);
            Check(r.Code == 0, "login callback code 0, got " + r.Code);
            Check(r.ThreadId != mainThreadId, "callbacks run on the library's thread, not Main's");
        }

        string[] ids = { "mono-bob", "mono-carol", "mono-group" };
        int[] types = { kTIMConv_C2C, kTIMConv_C2C, kTIMConv_Group };
        for (int i = 0; i < ids.Length; i++)
        {
            ret = ImSDK.TIMConvCreate(Utf8z(ids[i]), types[i], OnReplyDelegate, new IntPtr(1 + i));
            Check(ret == 0, "TIMConvCreate(" + ids[i] + ") returns 0, got " + ret);
        }
        for (int i = 0; i < ids.Length; i++)
        {
            got = WaitReply(1 + i, out r);
            Check(got, "create callback arrives for " + ids[i]);
            if (got)
                Check(r.Code == 0 && ConvIds(r.Json).Contains(ids[i]),
                      "create " + ids[i] + ": code 0 and its ConvInfo, got " + r.Code + " " + r.Json);
        }

        ret = ImSDK.TIMConvGetConvList(OnReplyDelegate, new IntPtr(10));
        Check(ret == 0, "TIMConvGetConvList returns 0, got " + ret);
        got = ret == 0 && WaitReply(10, out r);
        Check(got, "list callback arrives");
        if (got)
        {
            WaitReply(10, out r);
            List<string> listed = ConvIds(r.Json);
            Check(r.Code == 0, "list callback code 0, got " + r.Code);
            foreach (string id in ids)
                Check(listed.Contains(id), "listed: " + id + " in " + r.Json);
            Check(listed.Count == ids.Length, "exactly 3 conversations listed, got " + listed.Count);
        }
        lock (Gate)
        {
            foreach (string id in ids)
                Check(AddedIds.Contains(id), "kTIMConvEvent_Add for " + id);
        }

        ret = ImSDK.TIMLogout(OnReplyDelegate, new IntPtr(20));
        Check(ret == 0, "TIMLogout returns 0, got " + ret);
        Check(ret == 0 && WaitReply(20, out r) && r.Code == 0, "logout callback with code 0");

        // No TIMUninit: the process ends with the library still initialized.
        Console.WriteLine("mono: " + passed + " passed, " + failed + " failed" +
                          (useExit ? " (ending with Environment.Exit)" : " (returning from Main)"));
        Console.Out.Flush();
        int status = failed == 0 ? 0 : 1;
        if (useExit) Environment.Exit(status);
        return status;
    }
}
