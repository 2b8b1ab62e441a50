"""The gradient-ascent driver behind class and filter visualisation.

Starting from noise, it repeats: jitter the image, let an update step change it in place, undo
the jitter, clamp it to real pixel values, and blur it every few iterations. Jitter, blur and
clamping are the implicit regularisers that keep the image from turning into high-frequency
noise that only the network can read.
"""
import torch
from tqdm.auto import tqdm

from .image import blur_image, clamp_to_valid_range_, deprocess, jitter


def ascend_from_noise(update_step, *, num_iterations: int = 100, blur_every: int = 10, max_jitter: int = 16,
                      show_every: int = 25, blur_sigma: float = 0.5, image_size: int = 224, device="cpu",
                      seed: int = 0, desc: str = "ascent", progress: bool = True):
    """Run ``update_step`` on a noise image with jitter, blur and clamping.

    Args:
        update_step: ``update_step(img)`` changes ``img`` in place; ``img`` is a float32 leaf
            of shape (1, 3, image_size, image_size) that requires grad, in normalised pixel space.
        num_iterations: how many update steps.
        blur_every: blur with ``blur_sigma`` (pixels) every this many iterations.
        max_jitter: each iteration shifts the image by 0..max_jitter pixels in x and in y.
        show_every: keep a snapshot every this many iterations (and after the last one).
        device: where the image lives; the model used by ``update_step`` must be there too.
        seed: seeds the noise and the jitter, so a run can be repeated.
        progress: show a tqdm progress bar labelled ``desc``.

    Returns:
        image: uint8 array of shape (image_size, image_size, 3), rescaled for display.
        snapshots: list of (iteration, uint8 image of the same shape).
    """
    if num_iterations < 1:
        raise ValueError(f"num_iterations must be at least 1, got {num_iterations}")
    generator = torch.Generator().manual_seed(seed)
    img = torch.randn((1, 3, image_size, image_size), generator=generator).to(device).requires_grad_()
    shifts = torch.randint(0, max_jitter + 1, (num_iterations, 2), generator=generator).tolist()
    snapshots = []
    for t in tqdm(range(num_iterations), desc=desc, disable=not progress, leave=False):
        ox, oy = shifts[t]
        img.data.copy_(jitter(img.data, ox, oy))
        update_step(img)
        img.data.copy_(jitter(img.data, -ox, -oy))
        clamp_to_valid_range_(img.data)
        if t % blur_every == 0:
            blur_image(img.data, sigma=blur_sigma)
        if (t + 1) % show_every == 0 or t + 1 == num_iterations:
            snapshots.append((t + 1, deprocess(img, rescale=True)[0]))
    return snapshots[-1][1], snapshots
