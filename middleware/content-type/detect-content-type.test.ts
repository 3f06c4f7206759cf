import { describe, expect, it } from 'vitest';
import { detectContentType } from './detect-content-type.ts';

// Expected values are what Go's http.DetectContentType returns for these inputs (its documented table).
describe('detectContentType', () => {
  const b = (s: string) => Buffer.from(s, 'latin1');
  it.each([
    ['empty', b(''), 'text/plain; charset=utf-8'],
    ['HTML doctype, any case, after white space', b(' \n<!doctype html><p>'), 'text/html; charset=utf-8'],
    ['HTML tag then space', b('<html lang=en>'), 'text/html; charset=utf-8'],
    ['a tag needs a space or > after it', b('<htmlx>'), 'text/plain; charset=utf-8'],
    ['HTML comment', b('<!-- c -->'), 'text/html; charset=utf-8'],
    ['form feed is white space', b('\x0c<p>'), 'text/html; charset=utf-8'],
    ['a comma is not white space', b(',<p>'), 'text/plain; charset=utf-8'],
    ['XML', b('\t<?xml version="1.0"?>'), 'text/xml; charset=utf-8'],
    ['PDF', b('%PDF-1.7'), 'application/pdf'],
    ['PostScript', b('%!PS-Adobe-3.0'), 'application/postscript'],
    ['UTF-16BE BOM', b('\xFE\xFFab'), 'text/plain; charset=utf-16be'],
    ['UTF-16LE BOM', b('\xFF\xFEab'), 'text/plain; charset=utf-16le'],
    ['UTF-8 BOM', b('\xEF\xBB\xBFab'), 'text/plain; charset=utf-8'],
    ['icon', b('\x00\x00\x01\x00'), 'image/x-icon'],
    ['cursor', b('\x00\x00\x02\x00'), 'image/x-icon'],
    ['BMP', b('BMxx'), 'image/bmp'],
    ['GIF', b('GIF89a..'), 'image/gif'],
    ['WebP', b('RIFF\x01\x02\x03\x04WEBPVP8 '), 'image/webp'],
    ['PNG', b('\x89PNG\r\n\x1A\n....'), 'image/png'],
    ['JPEG', b('\xFF\xD8\xFF\xE0'), 'image/jpeg'],
    ['AIFF', b('FORM\x00\x00\x00\x00AIFF'), 'audio/aiff'],
    ['MP3', b('ID3\x03'), 'audio/mpeg'],
    ['Ogg', b('OggS\x00\x02'), 'application/ogg'],
    ['MIDI', b('MThd\x00\x00\x00\x06\x00'), 'audio/midi'],
    ['AVI', b('RIFF\x00\x00\x00\x00AVI LIST'), 'video/avi'],
    ['WAVE', b('RIFF\x00\x00\x00\x00WAVEfmt '), 'audio/wave'],
    ['MP4', b('\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom'), 'video/mp4'],
    ['WebM', b('\x1A\x45\xDF\xA3'), 'video/webm'],
    ['EOT font', b(`${'\x01'.repeat(34)}LPxx`), 'application/vnd.ms-fontobject'],
    ['TTF', b('\x00\x01\x00\x00\x00'), 'font/ttf'],
    ['OTF', b('OTTO'), 'font/otf'],
    ['font collection', b('ttcf'), 'font/collection'],
    ['WOFF', b('wOFF'), 'font/woff'],
    ['WOFF2', b('wOF2'), 'font/woff2'],
    ['gzip', b('\x1F\x8B\x08\x00'), 'application/x-gzip'],
    ['zip', b('PK\x03\x04'), 'application/zip'],
    ['RAR 4', b('Rar!\x1A\x07\x00'), 'application/x-rar-compressed'],
    ['RAR 5', b('Rar!\x1A\x07\x01\x00'), 'application/x-rar-compressed'],
    ['wasm', b('\x00asm\x01\x00\x00\x00'), 'application/wasm'],
    ['JSON is text', b('{"a":1}'), 'text/plain; charset=utf-8'],
    ['UTF-8 text', Buffer.from('héllo', 'utf8'), 'text/plain; charset=utf-8'],
    ['a binary byte', b('ab\x01'), 'application/octet-stream'],
    ['only the first 512 bytes count', b(`${'a'.repeat(512)}\x01`), 'text/plain; charset=utf-8'],
  ])('%s', (_name, body, expected) => {
    expect(detectContentType(body)).toBe(expected);
  });
});
