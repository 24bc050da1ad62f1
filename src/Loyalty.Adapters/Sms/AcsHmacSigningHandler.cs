using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Loyalty.Adapters.Sms;

/// <summary>Signs each request with ACS's HMAC-SHA256 scheme. It sits inside the resilience handler, so every
/// attempt is signed anew with a fresh <c>x-ms-date</c>, and it hashes exactly the bytes that go on the wire.
/// String to sign: <c>METHOD\npathAndQuery\ndate;authority;contentHash</c> (authority = host, with the port
/// when it is not the scheme's default, as the Host header carries it).</summary>
internal sealed class AcsHmacSigningHandler(IOptions<AcsSmsOptions> options, TimeProvider time) : DelegatingHandler
{
    internal const string DateHeader = "x-ms-date";
    internal const string ContentHashHeader = "x-ms-content-sha256";

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!AcsConnectionString.TryParse(options.Value.ConnectionString, out var connection, out var error))
        {
            throw new InvalidOperationException($"{AcsSmsOptions.ConnectionStringSetting}: {error}");
        }

        var uri = request.RequestUri ?? throw new InvalidOperationException("The request has no URI.");

        // Buffers the content, so what is hashed is what is sent (and can be sent again on a retry).
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        var contentHash = Convert.ToBase64String(SHA256.HashData(body));
        var date = time.GetUtcNow().ToString("r", CultureInfo.InvariantCulture);
        var stringToSign = $"{request.Method.Method}\n{uri.PathAndQuery}\n{date};{uri.Authority};{contentHash}";
        var signature = Convert.ToBase64String(HMACSHA256.HashData(connection.Key, Encoding.UTF8.GetBytes(stringToSign)));

        request.Headers.Remove(DateHeader);
        request.Headers.Remove(ContentHashHeader);
        request.Headers.TryAddWithoutValidation(DateHeader, date);
        request.Headers.TryAddWithoutValidation(ContentHashHeader, contentHash);
        request.Headers.Authorization = new AuthenticationHeaderValue(
            "HMAC-SHA256", $"SignedHeaders={DateHeader};host;{ContentHashHeader}&Signature={signature}");
        return await base.SendAsync(request, cancellationToken);
    }
}
