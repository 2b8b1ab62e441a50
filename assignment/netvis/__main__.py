"""Check a student's setup: ``python -m netvis [--device cuda] [--figure PATH]``.

Loads the images and the pretrained SqueezeNet, reports its top-1 accuracy on them and where
it ran, and saves a grid of the images with their class names.
"""
import argparse
from pathlib import Path

import torch

from . import load_imagenet_val, load_pretrained_squeezenet, preprocess, show_images


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m netvis", description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--figure", type=Path, default=Path("build/images.png"))
    args = parser.parse_args(argv)

    X, y, class_names = load_imagenet_val()
    model = load_pretrained_squeezenet(device=args.device)
    with torch.no_grad():
        predicted = model(preprocess(X).to(args.device)).argmax(dim=1).cpu()
    correct = int((predicted == torch.from_numpy(y)).sum())
    print(f"SqueezeNet 1.1 on {args.device}: top-1 {correct}/{len(y)} on the validation images, "
          f"{len(class_names)} class names")
    args.figure.parent.mkdir(parents=True, exist_ok=True)
    show_images(X[:10], y[:10], title="ImageNet validation images").savefig(args.figure)
    print(f"image grid saved to {args.figure}")


if __name__ == "__main__":
    main()
