// The S3 FileIO's pure parts, without a server: URI parsing, the XML reader
// on real S3 answers and the parsers of each answer, error and retry
// classification, backoff, digests.
#include <curl/curl.h>
#include <gtest/gtest.h>

#include "io/s3/digest.h"
#include "io/s3/s3_answers.h"
#include "io/s3/s3_error.h"
#include "io/s3/s3_file_io.h"
#include "io/s3/s3_uri.h"
#include "io/s3/xml.h"
#include "support/support.h"

namespace k2::s3 {
namespace {

TEST(S3UriTest, ParsesEverySchemeAndNormalizesTheKey) {
  K2_ASSERT_OK_AND_ASSIGN(S3Uri a, ParseS3Uri("s3://lake/warehouse/market/t/"));
  EXPECT_EQ(a.scheme, "s3");
  EXPECT_EQ(a.bucket, "lake");
  EXPECT_EQ(a.key, "warehouse/market/t");
  EXPECT_EQ(a.ToString(), "s3://lake/warehouse/market/t");
  K2_ASSERT_OK_AND_ASSIGN(S3Uri b, ParseS3Uri("s3a://my.bucket-1/k"));
  EXPECT_EQ(b.scheme, "s3a");
  EXPECT_EQ(b.bucket, "my.bucket-1");
  K2_ASSERT_OK_AND_ASSIGN(S3Uri c, ParseS3Uri("s3n://lake"));
  EXPECT_EQ(c.key, "");
  EXPECT_TRUE(IsS3Uri("s3://x"));
  EXPECT_FALSE(IsS3Uri("gs://x"));
}

TEST(S3UriTest, RejectsBadBucketsKeysAndSchemes) {
  K2_ASSERT_ERROR_KIND(ParseS3Uri("gs://lake/k"), ErrorKind::kInvalidInput);
  K2_ASSERT_ERROR_KIND(ParseS3Uri("s3://"), ErrorKind::kInvalidInput);
  K2_ASSERT_ERROR_KIND(ParseS3Uri("s3://Upper/k"), ErrorKind::kInvalidInput);
  K2_ASSERT_ERROR_KIND(ParseS3Uri("s3://ab/k"), ErrorKind::kInvalidInput);
  K2_ASSERT_ERROR_KIND(ParseS3Uri("s3://lake/a//b"), ErrorKind::kInvalidInput);
  K2_ASSERT_ERROR_KIND(ParseS3Uri("s3://lake/a/../b"), ErrorKind::kInvalidInput);
  auto e = ParseS3Uri("s3://lake_x/k");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("lake_x"), std::string::npos) << e.error().message;
}

TEST(S3UriTest, EncodesLikeSigV4) {
  EXPECT_EQ(UriEncode("data/day=2026-11-01/a b+c~_.parquet", true),
            "data/day%3D2026-11-01/a%20b%2Bc~_.parquet");
  EXPECT_EQ(UriEncode("a/b", false), "a%2Fb");
  EXPECT_EQ(UriEncode("\xC3\xA9", false), "%C3%A9");
}

TEST(S3XmlTest, ReadsAListObjectsV2Page) {
  const char* doc = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>lake</Name><Prefix>t/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>
  <IsTruncated>true</IsTruncated>
  <Contents><Key>t/a&amp;b.parquet</Key><LastModified>2026-12-06T04:44:46.123Z</LastModified>
    <ETag>&quot;5d41402abc4b2a76b9719d911017c592&quot;</ETag><Size>5</Size></Contents>
  <!-- a comment -->
  <Contents><Key><![CDATA[t/<raw>]]></Key><Size>0</Size></Contents>
  <NextContinuationToken>tok/en+=</NextContinuationToken>
</ListBucketResult>)";
  K2_ASSERT_OK_AND_ASSIGN(XmlElement root, ParseXml(doc));
  EXPECT_EQ(root.name, "ListBucketResult");
  auto contents = root.Children("Contents");
  ASSERT_EQ(contents.size(), 2u);
  EXPECT_EQ(contents[0]->ChildText("Key"), "t/a&b.parquet");
  EXPECT_EQ(contents[0]->ChildText("ETag"), "\"5d41402abc4b2a76b9719d911017c592\"");
  EXPECT_EQ(contents[1]->ChildText("Key"), "t/<raw>");
  EXPECT_EQ(root.ChildText("IsTruncated"), "true");
  EXPECT_EQ(root.ChildText("NextContinuationToken"), "tok/en+=");
  EXPECT_EQ(root.ChildText("Missing"), "");
  K2_ASSERT_OK_AND_ASSIGN(int64_t t, ParseS3Time(contents[0]->ChildText("LastModified")));
  EXPECT_EQ(t, 1796532286123);
}

TEST(S3XmlTest, DecodesCharacterReferencesAndSkipsAttributesAndPrefixes) {
  K2_ASSERT_OK_AND_ASSIGN(XmlElement root,
                          ParseXml("<s3:R a='x>y' b=\"1\"><s3:K>&#233;&#x41;</s3:K><E/></R>"));
  EXPECT_EQ(root.name, "R");
  EXPECT_EQ(root.ChildText("K"),
            "\xC3\xA9"
            "A");
  ASSERT_NE(root.Child("E"), nullptr);
}

TEST(S3XmlTest, RejectsMalformedDocumentsWithTheOffset) {
  for (const char* bad :
       {"", "<a>", "<a></b>", "<a>&bogus;</a>", "<a><b></a>", "text", "<a/>x", "<a>&#xZZ;</a>"}) {
    auto r = ParseXml(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().kind, ErrorKind::kCorrupt) << bad;
    EXPECT_NE(r.error().message.find("byte"), std::string::npos) << r.error().message;
  }
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "<a>";
  K2_ASSERT_ERROR_KIND(ParseXml(deep), ErrorKind::kCorrupt);
  EXPECT_EQ(XmlEscape("a<b>&'\""), "a&lt;b&gt;&amp;&apos;&quot;");
}

TEST(S3AnswersTest, ReadsListingPages) {
  K2_ASSERT_OK_AND_ASSIGN(
      ListObjectsPage objects,
      ParseListObjectsV2("<ListBucketResult><IsTruncated>true</IsTruncated>"
                         "<Contents><Key>t/a</Key><Size>5</Size>"
                         "<LastModified>1970-01-01T00:00:01Z</LastModified></Contents>"
                         "<NextContinuationToken>tok</NextContinuationToken></ListBucketResult>"));
  ASSERT_EQ(objects.objects.size(), 1u);
  EXPECT_EQ(objects.objects[0].key, "t/a");
  EXPECT_EQ(objects.objects[0].size, 5u);
  EXPECT_EQ(objects.objects[0].modified_ms, 1000);
  EXPECT_EQ(objects.next_token, "tok");
  K2_ASSERT_ERROR_KIND(
      ParseListObjectsV2("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>"),
      ErrorKind::kRemote);
  K2_ASSERT_ERROR_KIND(ParseListObjectsV2("<ListBucketResult><Contents><Key>k</Key>"
                                          "<LastModified>soon</LastModified></Contents>"
                                          "</ListBucketResult>"),
                       ErrorKind::kCorrupt);
  K2_ASSERT_ERROR_KIND(ParseListObjectsV2("<ListBucketResult>"), ErrorKind::kCorrupt);

  K2_ASSERT_OK_AND_ASSIGN(
      ListUploadsPage uploads,
      ParseListMultipartUploads(
          "<ListMultipartUploadsResult><IsTruncated>true</IsTruncated>"
          "<NextKeyMarker>t/b</NextKeyMarker><NextUploadIdMarker>u2</NextUploadIdMarker>"
          "<Upload><Key>t/a</Key><UploadId>u1</UploadId>"
          "<Initiated>1970-01-01T00:00:02.000Z</Initiated></Upload>"
          "</ListMultipartUploadsResult>"));
  ASSERT_EQ(uploads.uploads.size(), 1u);
  EXPECT_EQ(uploads.uploads[0].upload_id, "u1");
  EXPECT_EQ(uploads.uploads[0].initiated_ms, 2000);
  EXPECT_EQ(uploads.next_key_marker, "t/b");
  EXPECT_EQ(uploads.next_upload_id_marker, "u2");
  K2_ASSERT_ERROR_KIND(ParseListMultipartUploads("<ListMultipartUploadsResult><IsTruncated>true"
                                                 "</IsTruncated></ListMultipartUploadsResult>"),
                       ErrorKind::kRemote);
}

TEST(S3AnswersTest, ReadsUploadIdsAndDeleteErrors) {
  K2_ASSERT_OK_AND_ASSIGN(std::string id, ParseInitiateMultipartUpload(
                                              "<InitiateMultipartUploadResult><UploadId>"
                                              "abc</UploadId></InitiateMultipartUploadResult>"));
  EXPECT_EQ(id, "abc");
  K2_ASSERT_ERROR_KIND(ParseInitiateMultipartUpload("<InitiateMultipartUploadResult/>"),
                       ErrorKind::kRemote);
  K2_ASSERT_OK_AND_ASSIGN(
      std::vector<DeleteObjectError> errors,
      ParseDeleteObjectsResult("<DeleteResult><Deleted><Key>a</Key></Deleted><Error><Key>b</Key>"
                               "<Code>AccessDenied</Code><Message>no</Message></Error>"
                               "</DeleteResult>"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].key, "b");
  EXPECT_EQ(errors[0].code, "AccessDenied");
  EXPECT_EQ(errors[0].message, "no");
  K2_ASSERT_ERROR_KIND(ParseDeleteObjectsResult("<DeleteResult"), ErrorKind::kCorrupt);
}

TEST(S3ErrorTest, ParsesErrorBodiesIncludingA200CompleteFailure) {
  auto e = ParseS3ErrorBody(
      "<?xml version=\"1.0\"?>\n<Error><Code>SlowDown</Code><Message>Reduce your rate</Message>"
      "<RequestId>R1</RequestId></Error>");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, "SlowDown");
  EXPECT_EQ(e->message, "Reduce your rate");
  EXPECT_EQ(e->request_id, "R1");
  EXPECT_FALSE(
      ParseS3ErrorBody("<CompleteMultipartUploadResult><ETag>x</ETag>"
                       "</CompleteMultipartUploadResult>"));
  EXPECT_FALSE(ParseS3ErrorBody(""));
  EXPECT_FALSE(ParseS3ErrorBody("<Error>"));
}

TEST(S3ErrorTest, MapsCodesToKinds) {
  EXPECT_EQ(S3ErrorKind(404, "NoSuchKey"), ErrorKind::kNotFound);
  EXPECT_EQ(S3ErrorKind(404, "NoSuchBucket"), ErrorKind::kNotFound);
  EXPECT_EQ(S3ErrorKind(404, ""), ErrorKind::kNotFound);
  EXPECT_EQ(S3ErrorKind(412, "PreconditionFailed"), ErrorKind::kAlreadyExists);
  EXPECT_EQ(S3ErrorKind(403, "AccessDenied"), ErrorKind::kInvalidInput);
  EXPECT_EQ(S3ErrorKind(403, "SignatureDoesNotMatch"), ErrorKind::kInvalidInput);
  EXPECT_EQ(S3ErrorKind(403, "InvalidAccessKeyId"), ErrorKind::kInvalidInput);
  EXPECT_EQ(S3ErrorKind(503, "SlowDown"), ErrorKind::kRemote);
  EXPECT_EQ(S3ErrorKind(500, "InternalError"), ErrorKind::kRemote);
  EXPECT_EQ(S3ErrorKind(400, "RequestTimeout"), ErrorKind::kTimeout);
  EXPECT_EQ(S3ErrorKind(501, "NotImplemented"), ErrorKind::kUnsupported);
  for (const char* code :
       {"NoSuchBucket", "AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId"}) {
    EXPECT_FALSE(S3ErrorHint(code).empty()) << code;
  }
}

TEST(S3ErrorTest, RetriesOnlyTransientFailures) {
  EXPECT_TRUE(IsRetryable(false, 500, "InternalError"));
  EXPECT_TRUE(IsRetryable(false, 503, "SlowDown"));
  EXPECT_TRUE(IsRetryable(false, 503, ""));
  EXPECT_TRUE(IsRetryable(false, 400, "RequestTimeout"));
  EXPECT_TRUE(IsRetryable(true, 0, ""));
  EXPECT_FALSE(IsRetryable(false, 200, ""));
  EXPECT_FALSE(IsRetryable(false, 403, "SignatureDoesNotMatch"));
  EXPECT_FALSE(IsRetryable(false, 404, "NoSuchKey"));
  EXPECT_FALSE(IsRetryable(false, 412, "PreconditionFailed"));
  EXPECT_FALSE(IsRetryable(false, 400, "MalformedXML"));
  EXPECT_TRUE(IsTransientCurlCode(CURLE_RECV_ERROR));
  EXPECT_TRUE(IsTransientCurlCode(CURLE_GOT_NOTHING));
  EXPECT_TRUE(IsTransientCurlCode(CURLE_OPERATION_TIMEDOUT));
  EXPECT_TRUE(IsTransientCurlCode(CURLE_COULDNT_CONNECT));
  EXPECT_FALSE(IsTransientCurlCode(CURLE_URL_MALFORMAT));
  EXPECT_FALSE(IsTransientCurlCode(CURLE_UNSUPPORTED_PROTOCOL));
}

TEST(S3ErrorTest, BackoffGrowsIsCappedAndJittered) {
  for (uint64_t r : {0ull, 1ull, 12345ull, ~0ull}) {
    int64_t d1 = BackoffMillis(1, 100, 5000, r);
    EXPECT_GE(d1, 50);
    EXPECT_LE(d1, 100);
    int64_t d3 = BackoffMillis(3, 100, 5000, r);
    EXPECT_GE(d3, 200);
    EXPECT_LE(d3, 400);
    int64_t d20 = BackoffMillis(20, 100, 5000, r);
    EXPECT_GE(d20, 2500);
    EXPECT_LE(d20, 5000);
  }
  EXPECT_NE(BackoffMillis(4, 100, 5000, 1), BackoffMillis(4, 100, 5000, 2)) << "jitter";
}

TEST(S3DigestTest, MatchesKnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(std::string(1000, 'a')),
            "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
  auto md5 = Md5("abc");
  EXPECT_EQ(Base64(std::string_view(reinterpret_cast<const char*>(md5.data()), 16)),
            "kAFQmDzST7DWlj99KOF/cg==");
  auto empty = Md5("");
  EXPECT_EQ(Base64(std::string_view(reinterpret_cast<const char*>(empty.data()), 16)),
            "1B2M2Y8AsgTpgAmY7PhCfg==");
  EXPECT_EQ(Base64("ab"), "YWI=");
  EXPECT_EQ(Base64("a"), "YQ==");
}

TEST(S3TimeTest, ParsesS3Timestamps) {
  EXPECT_EQ(*ParseS3Time("1970-01-01T00:00:01Z"), 1000);
  EXPECT_EQ(*ParseS3Time("1970-01-01T00:00:00.5Z"), 500);
  K2_ASSERT_ERROR_KIND(ParseS3Time("yesterday"), ErrorKind::kCorrupt);
  K2_ASSERT_ERROR_KIND(ParseS3Time("2026-01-01T00:00:00+02:00"), ErrorKind::kCorrupt);
}

}  // namespace
}  // namespace k2::s3
