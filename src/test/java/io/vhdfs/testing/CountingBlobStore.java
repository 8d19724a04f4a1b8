package io.vhdfs.testing;

import java.util.List;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.domain.Blob;
import org.jclouds.blobstore.domain.BlobMetadata;
import org.jclouds.blobstore.domain.PageSet;
import org.jclouds.blobstore.domain.StorageMetadata;
import org.jclouds.blobstore.options.GetOptions;
import org.jclouds.blobstore.options.ListContainerOptions;
import org.jclouds.blobstore.options.PutOptions;
import org.jclouds.blobstore.util.ForwardingBlobStore;

/**
 * The blob store behind the test bed's s3proxy, recording each object request the S3 server
 * serves. s3proxy answers an object HEAD with one {@code blobMetadata} call and an object GET
 * (ranged or not) with one {@code getBlob} call, an upload with {@code putBlob}, a delete with
 * {@code removeBlob(s)}, so counting here counts HTTP requests without
 * wrapping the client under test. Uploads made by the test bed itself go to the store underneath
 * and are not recorded.
 */
final class CountingBlobStore extends ForwardingBlobStore {
  private final S3Requests requests;

  CountingBlobStore(BlobStore delegate, S3Requests requests) {
    super(delegate);
    this.requests = requests;
  }

  @Override
  public BlobMetadata blobMetadata(String container, String name) {
    requests.record(S3Requests.Kind.HEAD, name, "");
    return super.blobMetadata(container, name);
  }

  @Override
  public Blob getBlob(String container, String name) {
    requests.record(S3Requests.Kind.GET, name, "");
    return super.getBlob(container, name);
  }

  @Override
  public Blob getBlob(String container, String name, GetOptions options) {
    List<String> ranges = options == null ? List.of() : options.getRanges();
    requests.record(S3Requests.Kind.GET, name, String.join(",", ranges));
    return super.getBlob(container, name, options);
  }

  @Override
  public String putBlob(String container, Blob blob) {
    requests.record(S3Requests.Kind.PUT, blob.getMetadata().getName(), "");
    return super.putBlob(container, blob);
  }

  @Override
  public String putBlob(String container, Blob blob, PutOptions options) {
    requests.record(S3Requests.Kind.PUT, blob.getMetadata().getName(), "");
    return super.putBlob(container, blob, options);
  }

  @Override
  public void removeBlob(String container, String name) {
    requests.record(S3Requests.Kind.DELETE, name, "");
    super.removeBlob(container, name);
  }

  @Override
  public void removeBlobs(String container, Iterable<String> names) {
    for (String name : names) {
      requests.record(S3Requests.Kind.DELETE, name, "");
    }
    super.removeBlobs(container, names);
  }

  @Override
  public PageSet<? extends StorageMetadata> list(String container) {
    requests.record(S3Requests.Kind.LIST, "", "");
    return super.list(container);
  }

  @Override
  public PageSet<? extends StorageMetadata> list(String container,
      ListContainerOptions options) {
    requests.record(S3Requests.Kind.LIST, options == null || options.getPrefix() == null ? ""
        : options.getPrefix(), "");
    return super.list(container, options);
  }
}
