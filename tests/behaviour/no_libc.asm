; A program assembled and linked with ld alone: no C library, so no malloc for memboss to
; replace. memboss run refuses it and says what to do instead (not "link dynamically").
; LINK: ld
; EXPECT: does not use the C library
; EXPECT: link the program with gcc
; EXPECT: A program that never calls malloc has no heap to check.
; EXPECT-NOT: Link it dynamically
; EXPECT-STATUS: 126
global _start
section .text
_start:
    mov eax, 60                 ; exit(0)
    xor edi, edi
    syscall
