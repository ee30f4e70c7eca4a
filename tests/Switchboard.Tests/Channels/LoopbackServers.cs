using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Switchboard.Tests.Channels;

/// <summary>
/// Counts every TCP connection that reaches it, on all loopback forms (dual-mode socket on the IPv6 wildcard, so
/// 127.0.0.1, ::1, ::ffff:127.0.0.1 and 0.0.0.0 all land here). SSRF tests assert it stays at zero.
/// </summary>
internal sealed class CanaryListener : IDisposable
{
    private readonly TcpListener _listener;
    private readonly ConcurrentDictionary<int, TaskCompletionSource> _probes = new();
    private int _connections;

    public CanaryListener()
    {
        _listener = new TcpListener(IPAddress.IPv6Any, 0);
        _listener.Server.DualMode = true;
        _listener.Start();
        _ = AcceptLoop();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>
    /// The connections counted once everything that connected before this call has been accepted, without a fixed
    /// sleep: a probe connection of our own is queued behind them (the kernel's accept queue is first in, first out),
    /// so when the loop reaches the probe every earlier connection has been counted. Probes are not counted.
    /// </summary>
    public async Task<int> SettledConnectionsAsync()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        // Bound first so its port is known before the listener can accept it.
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var accepted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _probes[((IPEndPoint)probe.LocalEndPoint!).Port] = accepted;
        await probe.ConnectAsync(IPAddress.Loopback, Port);
        await accepted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        return Connections;
    }

    private async Task AcceptLoop()
    {
        try
        {
            while (true)
            {
                using var client = await _listener.AcceptTcpClientAsync();
                if (client.Client.RemoteEndPoint is IPEndPoint from && _probes.TryRemove(from.Port, out var probe))
                    probe.TrySetResult();
                else
                    Interlocked.Increment(ref _connections);
            }
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SocketException or InvalidOperationException)
        {
            // stopped
        }
    }

    public void Dispose() => _listener.Stop();
}

internal sealed record FakeResponse(int Status, byte[] Body, IReadOnlyDictionary<string, string>? Headers = null, bool Hang = false)
{
    public static FakeResponse Text(int status, string body, params (string, string)[] headers) =>
        new(status, Encoding.UTF8.GetBytes(body), headers.ToDictionary(h => h.Item1, h => h.Item2));
}

/// <summary>A minimal HTTP/1.1 server on 127.0.0.1 (one request per connection) whose answers the test scripts.</summary>
internal sealed class FakeHttpServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<string, IReadOnlyDictionary<string, string>, FakeResponse> _handler;
    private readonly CancellationTokenSource _stop = new();
    public List<string> Requests { get; } = [];

    public FakeHttpServer(Func<string, IReadOnlyDictionary<string, string>, FakeResponse> handler)
    {
        _handler = handler;
        _listener.Start();
        _ = AcceptLoop();
    }

    public Uri Url(string path) => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}{path}");

    private async Task AcceptLoop()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = Serve(client);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task Serve(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var head = new StringBuilder();
                var buffer = new byte[1];
                while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && await stream.ReadAsync(buffer) == 1)
                    head.Append((char)buffer[0]);
                var lines = head.ToString().Split("\r\n");
                var path = lines[0].Split(' ')[1];
                var headers = lines.Skip(1).Where(l => l.Contains(':', StringComparison.Ordinal))
                    .ToDictionary(l => l[..l.IndexOf(':', StringComparison.Ordinal)].Trim(), l => l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim(), StringComparer.OrdinalIgnoreCase);
                lock (Requests)
                    Requests.Add(path);
                var response = _handler(path, headers);
                if (response.Hang)
                {
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                    return;
                }
                var sb = new StringBuilder($"HTTP/1.1 {response.Status} X\r\nConnection: close\r\n");
                var extra = response.Headers ?? new Dictionary<string, string>();
                if (!extra.ContainsKey("Content-Length") && !extra.ContainsKey("X-No-Length"))
                    sb.Append("Content-Length: ").Append(response.Body.Length).Append("\r\n");
                foreach (var (name, value) in extra.Where(h => h.Key != "X-No-Length"))
                    sb.Append(name).Append(": ").Append(value).Append("\r\n");
                sb.Append("\r\n");
                await stream.WriteAsync(Encoding.ASCII.GetBytes(sb.ToString()));
                await stream.WriteAsync(response.Body);
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }
}
