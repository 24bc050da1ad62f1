using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Loyalty.Benchmarks;

/// <summary>A loopback TCP proxy in front of one Azurite endpoint that adds a round-trip latency, as storage in another
/// machine would (Azure Table Storage in the same region: milliseconds per request, where Azurite on loopback answers in
/// well under one). Each direction delays every chunk by half the latency from the moment it arrived, without
/// serialising: a chunk is delivered at its arrival time plus the delay, so a response of many chunks costs the latency
/// once, not once per chunk; chunks of one connection keep their order. The queue of each direction is bounded.</summary>
internal sealed class LatencyProxy : IAsyncDisposable
{
    private const int ChunkBytes = 16 * 1024;
    private const int ChunksInFlight = 64;
    private static long requests;
    private readonly long oneWay;
    private readonly CancellationTokenSource stopping = new();
    private readonly List<TcpListener> listeners = [];
    private readonly List<Task> accepting = [];
    private readonly Clock clock = new();

    private LatencyProxy(TimeSpan latency) => oneWay = (long)(latency.TotalSeconds / 2 * Stopwatch.Frequency);

    /// <summary>The connection string whose table and queue endpoints go through this proxy (the blob endpoint, unused by
    /// the app, stays as it was).</summary>
    public string Connection { get; private set; } = "";

    /// <summary>The HTTP requests that went through every proxy so far (chunks towards storage that begin with a request
    /// line: HTTP/1.1 clients send one request at a time on a connection, and a batch's body begins with its boundary).</summary>
    public static long Requests => Interlocked.Read(ref requests);

    public static LatencyProxy Start(string connection, TimeSpan latency)
    {
        var proxy = new LatencyProxy(latency);
        proxy.Connection = string.Join(';', connection.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(part =>
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            var name = part[..equals];
            if (name is not ("TableEndpoint" or "QueueEndpoint"))
            {
                return part;
            }

            var endpoint = new Uri(part[(equals + 1)..]);
            if (!IPAddress.TryParse(endpoint.Host, out var address) || !IPAddress.IsLoopback(address))
            {
                throw new ArgumentException($"--storage-latency works in front of a loopback endpoint (Azurite), not {endpoint.Host}.");
            }

            return $"{name}={new UriBuilder(endpoint) { Port = proxy.Listen(new IPEndPoint(address, endpoint.Port)) }.Uri}";
        })) + ";";
        return proxy;
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listeners.ForEach(l => l.Stop());
        await Task.WhenAll(accepting);
        clock.Dispose();
        stopping.Dispose();
    }

    private int Listen(IPEndPoint target)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        listeners.Add(listener);
        accepting.Add(AcceptAsync(listener, target));
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task AcceptAsync(TcpListener listener, IPEndPoint target)
    {
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                var client = await listener.AcceptSocketAsync(stopping.Token);
                connections.RemoveAll(c => c.IsCompleted);
                connections.Add(ForwardAsync(client, target));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }

        await Task.WhenAll(connections);
    }

    private async Task ForwardAsync(Socket client, IPEndPoint target)
    {
        using var server = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using (client)
        {
            client.NoDelay = true;
            try
            {
                await server.ConnectAsync(target, stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                return;
            }

            // Either side closing or failing ends the connection: both sockets are closed, which ends the other direction.
            using var closed = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
            await Task.WhenAll(PumpAsync(client, server, closed, countRequests: true), PumpAsync(server, client, closed, countRequests: false));
        }
    }

    // One direction: a reader stamps each chunk with its delivery time and queues it; a writer sends it at that time.
    private async Task PumpAsync(Socket from, Socket to, CancellationTokenSource closed, bool countRequests)
    {
        var chunks = Channel.CreateBounded<(long Due, byte[] Buffer, int Count)>(
            new BoundedChannelOptions(ChunksInFlight) { SingleReader = true, SingleWriter = true });
        var writing = WriteAsync(to, chunks.Reader, closed);
        try
        {
            while (true)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
                var count = await from.ReceiveAsync(buffer, SocketFlags.None, closed.Token);
                if (count == 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    break;
                }

                if (countRequests && StartsRequest(buffer.AsSpan(0, count)))
                {
                    Interlocked.Increment(ref requests);
                }

                await chunks.Writer.WriteAsync((Stopwatch.GetTimestamp() + oneWay, buffer, count), closed.Token);
            }

            chunks.Writer.Complete();
            await writing;
            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            chunks.Writer.TryComplete();
            await closed.CancelAsync();
            await writing;
        }
    }

    // "GET /devstoreaccount1/…", "POST http://…": a method in capitals, a space, then the target.
    private static bool StartsRequest(ReadOnlySpan<byte> chunk)
    {
        var space = chunk[..Math.Min(chunk.Length, 9)].IndexOf((byte)' ');
        return space > 2 && chunk.Length > space + 1 && chunk[..space].IndexOfAnyExceptInRange((byte)'A', (byte)'Z') < 0
            && chunk[space + 1] is (byte)'/' or (byte)'h';
    }

    private async Task WriteAsync(Socket to, ChannelReader<(long Due, byte[] Buffer, int Count)> chunks, CancellationTokenSource closed)
    {
        try
        {
            await foreach (var (due, buffer, count) in chunks.ReadAllAsync(closed.Token))
            {
                if (due > Stopwatch.GetTimestamp())
                {
                    await clock.At(due).WaitAsync(closed.Token);
                }

                for (var sent = 0; sent < count;)
                {
                    sent += await to.SendAsync(buffer.AsMemory(sent, count - sent), SocketFlags.None, closed.Token);
                }

                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            await closed.CancelAsync();
        }
    }

    /// <summary>Wakes waiters at a <see cref="Stopwatch"/> timestamp, on a thread of its own that also runs what waited
    /// (a send to a loopback socket): <c>Task.Delay(5)</c> took 8 ms at the median on the loaded 2-core machine, as its
    /// timer's callbacks and their continuations wait for the thread pool, which would add half as much again to a 5 ms
    /// latency.</summary>
    private sealed class Clock : IDisposable
    {
        private readonly PriorityQueue<TaskCompletionSource, long> waiters = new();
        private readonly AutoResetEvent changed = new(false);
        private bool stopped;

        public Clock() => new Thread(Run) { IsBackground = true, Name = "latency proxy clock" }.Start();

        public Task At(long timestamp)
        {
            var waiter = new TaskCompletionSource();
            lock (waiters)
            {
                waiters.Enqueue(waiter, timestamp);
            }

            changed.Set();
            return waiter.Task;
        }

        public void Dispose()
        {
            lock (waiters)
            {
                stopped = true;
            }

            changed.Set();
        }

        private void Run()
        {
            var ready = new List<TaskCompletionSource>();
            while (true)
            {
                int wait;
                lock (waiters)
                {
                    if (stopped)
                    {
                        break;
                    }

                    while (waiters.TryPeek(out _, out var due) && due <= Stopwatch.GetTimestamp())
                    {
                        ready.Add(waiters.Dequeue());
                    }
                }

                // On this thread: the send that waited goes out now, not when the thread pool gets to it.
                ready.ForEach(r => r.SetResult());
                ready.Clear();
                lock (waiters)
                {
                    // Whole milliseconds, rounded up: never earlier than asked.
                    wait = waiters.TryPeek(out _, out var next)
                        ? (int)Math.Max(0, Math.Ceiling(Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next).TotalMilliseconds))
                        : Timeout.Infinite;
                }

                changed.WaitOne(wait);
            }

            changed.Dispose();
        }
    }
}
