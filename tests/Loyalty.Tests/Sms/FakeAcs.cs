using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Loyalty.Tests.Sms;

/// <summary>A fake ACS SMS endpoint: a real Kestrel server on a free loopback port. It checks the HMAC-SHA256
/// signature of every request the way ACS does (answering 401 when it is wrong), records what it received, and
/// answers as <see cref="Reply"/> says. Like ACS, it processes a repeatability id once: a repeat gets the first
/// message id back and sends nothing more.</summary>
public sealed partial class FakeAcs : IAsyncDisposable
{
    public const string ApiVersion = "2021-03-07";

    private readonly WebApplication app;
    private readonly byte[] key;
    private readonly ConcurrentQueue<ReceivedSms> received = new();
    private readonly ConcurrentDictionary<string, SentSms> sent = new();
    private readonly ConcurrentDictionary<string, int> attempts = new();
    private int unauthorized;
    private int sequence;

    private FakeAcs(WebApplication app, byte[] key) => (this.app, this.key) = (app, key);

    public Uri Endpoint { get; private set; } = null!;

    public string AccessKey => Convert.ToBase64String(key);

    public string ConnectionString => $"endpoint={Endpoint};accesskey={AccessKey}";

    /// <summary>How to answer a correctly signed request. Accepts by default.</summary>
    public Func<ReceivedSms, FakeReply> Reply { get; set; } = _ => FakeReply.Accept();

    /// <summary>Every correctly signed request, in order of arrival.</summary>
    public IReadOnlyList<ReceivedSms> Received => [.. received];

    /// <summary>The messages that went out: at most one per repeatability id.</summary>
    public IReadOnlyList<SentSms> Sent => [.. sent.Values];

    /// <summary>The clock that <c>x-ms-date</c> must be close to: the client's (an app on a fake clock signs with it).</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>Requests refused for a bad or missing signature.</summary>
    public int Unauthorized => unauthorized;

    public static async Task<FakeAcs> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var fake = new FakeAcs(builder.Build(), RandomNumberGenerator.GetBytes(32));
        fake.app.MapPost("/sms", fake.HandleAsync);
        await fake.app.StartAsync();
        fake.Endpoint = new Uri(fake.app.Urls.Single() + "/");
        return fake;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, context.RequestAborted);
        var body = buffer.ToArray();

        if (SignatureProblem(context, body) is { } problem)
        {
            Interlocked.Increment(ref unauthorized);
            await WriteAsync(context, 401, new { error = new { code = "Unauthorized", message = problem } });
            return;
        }

        if (request.Query["api-version"] != ApiVersion)
        {
            await WriteAsync(context, 400, new { error = new { code = "InvalidApiVersion", message = "unsupported api-version" } });
            return;
        }

        var json = JsonDocument.Parse(body).RootElement;
        var recipient = json.GetProperty("smsRecipients").EnumerateArray().Single();
        var options = json.GetProperty("smsSendOptions");
        var requestId = recipient.GetProperty("repeatabilityRequestId").GetString()!;
        var sms = new ReceivedSms(
            Interlocked.Increment(ref sequence),
            attempts.AddOrUpdate(requestId, 1, (_, n) => n + 1),
            Stopwatch.GetTimestamp(),
            context.Features.Get<IHttpRequestFeature>()!.RawTarget,
            json.GetProperty("from").GetString()!,
            recipient.GetProperty("to").GetString()!,
            requestId,
            recipient.GetProperty("repeatabilityFirstSent").GetString()!,
            json.GetProperty("message").GetString()!,
            options.GetProperty("enableDeliveryReport").GetBoolean(),
            options.TryGetProperty("tag", out var tag) ? tag.GetString() : null);
        received.Enqueue(sms);

        var reply = Reply(sms);
        if (!await DelayAsync(reply.DelayBeforeProcessing, context))
        {
            return;
        }

        if (reply.Status != 202)
        {
            if (reply.Headers is not null)
            {
                foreach (var (name, value) in reply.Headers)
                {
                    context.Response.Headers[name] = value;
                }
            }

            await WriteAsync(context, reply.Status, new { error = new { code = "Fake", message = $"fake answer {reply.Status}" } });
            return;
        }

        object item;
        if (reply.RecipientStatus is { } failure)
        {
            item = new { to = sms.To, httpStatusCode = failure, repeatabilityResult = "accepted", successful = false, errorMessage = reply.RecipientError };
        }
        else
        {
            var first = sent.GetOrAdd(requestId, _ => new SentSms(sms.To, requestId, $"Outgoing_{Guid.NewGuid():N}", sms.Message));
            item = first.Message == sms.Message && first.To == sms.To
                ? new { to = sms.To, messageId = first.MessageId, httpStatusCode = 202, repeatabilityResult = "accepted", successful = true }
                : new { to = sms.To, httpStatusCode = 400, repeatabilityResult = "rejected", successful = false, errorMessage = "repeated request id with another body" };
        }

        if (await DelayAsync(reply.DelayAfterProcessing, context))
        {
            await WriteAsync(context, 202, new { value = new[] { item } });
        }
    }

    /// <summary>Recomputes the signature from the request as received: method, raw target, Host header, and the
    /// hash of the body bytes that arrived. Independent of the client's code on purpose.</summary>
    private string? SignatureProblem(HttpContext context, byte[] body)
    {
        var headers = context.Request.Headers;
        var date = headers["x-ms-date"].ToString();
        var contentHash = headers["x-ms-content-sha256"].ToString();
        var authorization = Authorization().Match(headers.Authorization.ToString());
        if (date.Length == 0 || contentHash.Length == 0 || !authorization.Success)
        {
            return "missing x-ms-date, x-ms-content-sha256 or HMAC-SHA256 Authorization";
        }

        if (contentHash != Convert.ToBase64String(SHA256.HashData(body)))
        {
            return "x-ms-content-sha256 does not match the body";
        }

        if (!DateTimeOffset.TryParseExact(date, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var sentAt)
            || (Clock.GetUtcNow() - sentAt).Duration() > TimeSpan.FromMinutes(10))
        {
            return "x-ms-date is missing, malformed or too far from now";
        }

        var target = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
        var stringToSign = $"{context.Request.Method}\n{target}\n{date};{context.Request.Host.Value};{contentHash}";
        var expected = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign));
        var given = new byte[64];
        return Convert.TryFromBase64String(authorization.Groups["signature"].Value, given, out var length)
            && CryptographicOperations.FixedTimeEquals(expected, given.AsSpan(0, length))
            ? null
            : "the signature does not match";
    }

    private static async Task<bool> DelayAsync(TimeSpan delay, HttpContext context)
    {
        if (delay <= TimeSpan.Zero)
        {
            return true;
        }

        try
        {
            await Task.Delay(delay, context.RequestAborted);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task WriteAsync(HttpContext context, int status, object body)
    {
        context.Response.StatusCode = status;
        await context.Response.WriteAsJsonAsync(body, context.RequestAborted);
    }

    [GeneratedRegex("^HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=(?<signature>.+)$")]
    private static partial Regex Authorization();
}

/// <summary>One correctly signed request. <see cref="Attempt"/> counts the requests with the same repeatability id.</summary>
public sealed record ReceivedSms(
    int Sequence,
    int Attempt,
    long Timestamp,
    string Target,
    string From,
    string To,
    string RequestId,
    string FirstSent,
    string Message,
    bool EnableDeliveryReport,
    string? Tag);

public sealed record SentSms(string To, string RequestId, string MessageId, string Message);

/// <summary>How the fake answers: a status (202 processes the message), optional headers, a per-recipient failure
/// inside the 202, and delays before processing (nothing was sent when the client gives up) or after it (sent,
/// but the answer is late).</summary>
public sealed record FakeReply(
    int Status,
    IReadOnlyDictionary<string, string>? Headers = null,
    int? RecipientStatus = null,
    string? RecipientError = null,
    TimeSpan DelayBeforeProcessing = default,
    TimeSpan DelayAfterProcessing = default)
{
    public static FakeReply Accept(TimeSpan answerAfter = default) => new(202, DelayAfterProcessing: answerAfter);

    public static FakeReply Error(int status, string? header = null, string? value = null) =>
        new(status, header is null ? null : new Dictionary<string, string> { [header] = value! });

    public static FakeReply RecipientFailure(int status, string error) => new(202, RecipientStatus: status, RecipientError: error);

    public static FakeReply Hang(TimeSpan delay) => new(500, DelayBeforeProcessing: delay);
}
